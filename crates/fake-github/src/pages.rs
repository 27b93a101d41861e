//! Paged listings as GitHub answers them: `per_page` (30 unless asked, at most 100),
//! `page` from 1, and a `Link` header to the next and last pages.

use serde_json::Value;

use crate::router::Reply;

/// A request for a list: the base URL, the path and the query, for `per_page`, `page`
/// and the `Link` header.
pub struct Page<'a> {
    /// The API base URL.
    pub base: &'a str,
    /// The path as sent.
    pub path: &'a str,
    /// The query, if any.
    pub query: Option<&'a str>,
}

impl Page<'_> {
    fn param(&self, key: &str) -> Option<usize> {
        self.query?
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(name, _)| *name == key)
            .and_then(|(_, value)| value.parse().ok())
    }

    /// One page of `items` as the answer's array, with a `Link` header to the next and
    /// last pages.
    pub fn answer(&self, items: Vec<Value>, endless: Option<&dyn Fn(usize) -> Value>) -> Reply {
        let (shown, link) = self.slice(&items, endless);
        let mut reply = Reply::json(200, Value::Array(shown));
        reply.headers.extend(link.map(|link| ("link".into(), link)));
        reply
    }

    /// The items of the page asked for, and the `Link` header when a next page follows.
    /// With `endless`, every page is full, made up by it past the end of `items` (it is
    /// given each made-up item's index from that end), and links to a next one.
    pub fn slice(
        &self,
        items: &[Value],
        endless: Option<&dyn Fn(usize) -> Value>,
    ) -> (Vec<Value>, Option<String>) {
        let per_page = self.param("per_page").unwrap_or(30).clamp(1, 100);
        let page = self.param("page").unwrap_or(1).max(1);
        let mut last = items.len().div_ceil(per_page).max(1);
        let first = (page - 1) * per_page;
        let mut shown: Vec<Value> = items.iter().skip(first).take(per_page).cloned().collect();
        if let Some(filler) = endless {
            while shown.len() < per_page {
                let position = first + shown.len();
                shown.push(filler(position - items.len()));
            }
            last = page + 1;
        }
        let link = (page < last).then(|| {
            let link = |page: usize| {
                format!(
                    "<{}{}?per_page={per_page}&page={page}>",
                    self.base, self.path
                )
            };
            format!(
                "{}; rel=\"next\", {}; rel=\"last\"",
                link(page + 1),
                link(last)
            )
        });
        (shown, link)
    }
}
