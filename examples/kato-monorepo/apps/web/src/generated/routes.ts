// Generated from routes.json: do not edit.
var table = [{path:"/",title:"Status"},{path:"/sessions",title:"Sessions"}]
export const GENERATED_ROUTES: {path: string, title: string}[] = table
