//! A release's assets: what is on GitHub against what is on disk, what to delete and
//! upload to make them equal, and the check that they are.

use github_actions::escape_text;
use github_api::Fields;
use serde_json::Value;

use crate::files::LocalAsset;

/// An asset as GitHub lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteAsset {
    /// Its id.
    pub id: u64,
    /// Its name.
    pub name: String,
    /// `uploaded`, `open` or `starter`.
    pub state: String,
    /// GitHub's `sha256:<hex>` of the bytes it holds, once uploaded.
    pub digest: Option<String>,
}

impl RemoteAsset {
    /// An asset from GitHub's JSON, each field of the type GitHub documents (`state`
    /// may be missing, for `uploaded`; `digest` missing or `null`); otherwise why not,
    /// calling the asset `name`.
    pub fn from_json(value: &Value, name: &str) -> Result<Self, String> {
        let fields = Fields::of(value, name)?;
        Ok(Self {
            id: fields.u64("id")?,
            name: fields.str("name")?.to_owned(),
            state: match value.get("state") {
                None => "uploaded".to_owned(),
                Some(_) => fields.str("state")?.to_owned(),
            },
            digest: fields.optional_str("digest")?.map(str::to_owned),
        })
    }

    /// Whether it is complete and holds exactly `local`'s bytes.
    pub fn matches(&self, local: &LocalAsset) -> bool {
        self.state == "uploaded"
            && self.digest.as_deref() == Some(format!("sha256:{}", local.sha256).as_str())
    }
}

/// Why a remote asset is deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    /// A failed upload left it (`starter`, `open`).
    Leftover,
    /// It holds other bytes than the file of that name.
    Different,
    /// No file of that name is published.
    Unexpected,
    /// A second asset of a name already kept.
    Duplicate,
}

/// What makes the release's assets equal to the files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssetPlan {
    /// Assets to delete first, and why.
    pub delete: Vec<(RemoteAsset, Removal)>,
    /// Files already there, byte for byte: skipped.
    pub keep: Vec<String>,
    /// Files to upload, in the order given.
    pub upload: Vec<LocalAsset>,
}

/// The plan that turns `remote` into `local`.
pub fn plan_assets(local: &[LocalAsset], remote: &[RemoteAsset]) -> AssetPlan {
    let mut plan = AssetPlan::default();
    for asset in remote {
        let removal = match local.iter().find(|file| file.name == asset.name) {
            None => Some(Removal::Unexpected),
            Some(_) if asset.state != "uploaded" => Some(Removal::Leftover),
            Some(file) if !asset.matches(file) => Some(Removal::Different),
            Some(_) if plan.keep.contains(&asset.name) => Some(Removal::Duplicate),
            Some(_) => None,
        };
        match removal {
            Some(removal) => plan.delete.push((asset.clone(), removal)),
            None => plan.keep.push(asset.name.clone()),
        }
    }
    plan.upload = local
        .iter()
        .filter(|file| !plan.keep.contains(&file.name))
        .cloned()
        .collect();
    plan
}

/// Every difference between the release's assets and the files: a file missing or
/// listed twice, an asset not complete or with another digest, an asset that is not a
/// file. Empty when they are equal. What GitHub sent is quoted with its control
/// characters escaped.
pub fn verify_assets(local: &[LocalAsset], remote: &[RemoteAsset]) -> Vec<String> {
    let mut problems = Vec::new();
    for file in local {
        let listed: Vec<&RemoteAsset> = remote.iter().filter(|a| a.name == file.name).collect();
        match listed.as_slice() {
            [] => problems.push(format!("{} is missing", file.name)),
            [asset] if asset.state != "uploaded" => {
                problems.push(format!(
                    "{} is in state {}",
                    file.name,
                    escape_text(&asset.state)
                ));
            }
            [asset] if !asset.matches(file) => problems.push(format!(
                "{} has digest {} on GitHub, sha256:{} here",
                file.name,
                escape_text(asset.digest.as_deref().unwrap_or("(none)")),
                file.sha256
            )),
            [_] => {}
            many => problems.push(format!("{} is listed {} times", file.name, many.len())),
        }
    }
    for asset in remote {
        if !local.iter().any(|file| file.name == asset.name) {
            problems.push(format!(
                "{} is not one of the files released",
                escape_text(&asset.name)
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use camino::Utf8PathBuf;

    use super::*;

    fn file(name: &str, digest: &str) -> LocalAsset {
        LocalAsset {
            name: name.into(),
            path: Utf8PathBuf::from(format!("/dist/{name}")),
            size: 1,
            sha256: digest.into(),
        }
    }

    fn asset(id: u64, name: &str, state: &str, digest: Option<&str>) -> RemoteAsset {
        RemoteAsset {
            id,
            name: name.into(),
            state: state.into(),
            digest: digest.map(|digest| format!("sha256:{digest}")),
        }
    }

    #[test]
    fn a_fresh_release_uploads_everything() {
        let local = [file("a", "11"), file("b", "22")];
        let plan = plan_assets(&local, &[]);
        assert_eq!(plan.upload, local);
        assert!(plan.delete.is_empty() && plan.keep.is_empty());
    }

    #[test]
    fn a_rerun_keeps_what_is_there_and_cleans_up_the_rest() {
        let local = [
            file("a", "11"),
            file("b", "22"),
            file("c", "33"),
            file("d", "44"),
        ];
        let remote = [
            asset(1, "a", "uploaded", Some("11")),
            asset(2, "b", "starter", None),
            asset(3, "c", "uploaded", Some("99")),
            asset(4, "old", "uploaded", Some("55")),
            asset(5, "a", "uploaded", Some("11")),
            asset(6, "d", "open", None),
        ];
        let plan = plan_assets(&local, &remote);
        assert_eq!(plan.keep, ["a"]);
        assert_eq!(
            plan.delete
                .iter()
                .map(|(asset, why)| (asset.id, *why))
                .collect::<Vec<_>>(),
            [
                (2, Removal::Leftover),
                (3, Removal::Different),
                (4, Removal::Unexpected),
                (5, Removal::Duplicate),
                (6, Removal::Leftover)
            ]
        );
        assert_eq!(
            plan.upload
                .iter()
                .map(|f| f.name.as_str())
                .collect::<Vec<_>>(),
            ["b", "c", "d"]
        );
    }

    #[test]
    fn verification_names_every_difference() {
        let local = [
            file("a", "11"),
            file("b", "22"),
            file("c", "33"),
            file("d", "44"),
        ];
        assert!(
            verify_assets(
                &local,
                &[
                    asset(1, "a", "uploaded", Some("11")),
                    asset(2, "b", "uploaded", Some("22")),
                    asset(3, "c", "uploaded", Some("33")),
                    asset(4, "d", "uploaded", Some("44")),
                ]
            )
            .is_empty()
        );
        let problems = verify_assets(
            &local,
            &[
                asset(1, "a", "uploaded", Some("11")),
                asset(2, "a", "uploaded", Some("11")),
                asset(3, "b", "starter", None),
                asset(4, "c", "uploaded", Some("99")),
                asset(5, "x", "uploaded", Some("55")),
            ],
        );
        assert_eq!(
            problems,
            [
                "a is listed 2 times",
                "b is in state starter",
                "c has digest sha256:99 on GitHub, sha256:33 here",
                "d is missing",
                "x is not one of the files released"
            ]
        );
    }

    #[test]
    fn assets_from_json() {
        let json = serde_json::json!({"id": 7, "name": "a", "state": "starter", "digest": null});
        assert_eq!(
            RemoteAsset::from_json(&json, "the asset"),
            Ok(asset(7, "a", "starter", None))
        );
        let json = serde_json::json!({"id": 7, "name": "a"});
        assert_eq!(
            RemoteAsset::from_json(&json, "the asset"),
            Ok(asset(7, "a", "uploaded", None))
        );
        for (json, why) in [
            (
                serde_json::json!({"id": 7}),
                "asset 2 of the listing has no `name`",
            ),
            (
                serde_json::json!({"id": "7", "name": "a"}),
                "asset 2 of the listing has `id` \"7\" (a string), not a number",
            ),
            (
                serde_json::json!({"id": 7, "name": "a", "digest": 5}),
                "asset 2 of the listing has `digest` 5 (a number), not a string or null",
            ),
            (
                serde_json::json!({"id": 7, "name": "a", "state": null}),
                "asset 2 of the listing has `state` null (null), not a string",
            ),
        ] {
            assert_eq!(
                RemoteAsset::from_json(&json, "asset 2 of the listing"),
                Err(why.to_owned())
            );
        }
    }

    #[test]
    fn differences_quote_github_on_one_line() {
        let local = [file("a", "11")];
        let problems = verify_assets(
            &local,
            &[
                asset(1, "a", "uploaded\n::error::x", None),
                asset(2, "b\n::error::y", "uploaded", Some("22")),
            ],
        );
        assert_eq!(
            problems,
            [
                "a is in state uploaded\\n::error::x",
                "b\\n::error::y is not one of the files released"
            ]
        );
    }
}
