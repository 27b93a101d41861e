//! The release preflight: facts gathered from git, judged without it.

use std::fmt;

use anyhow::Result;

use crate::git::{MainHead, Repository, short_commit};

/// What git says about a release of `reference`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseFacts {
    /// `git status --porcelain` lines; empty when the tree is clean.
    pub changed: Vec<String>,
    /// The ref to release, as given (`main`, a tag, a commit).
    pub reference: String,
    /// Its commit, `None` when it names none.
    pub ref_commit: Option<String>,
    /// The commit checked out, `None` in a repository without commits.
    pub head_commit: Option<String>,
    /// The main branch's name (`main`).
    pub main_branch: String,
    /// Its head, `None` when neither `origin/<main>` nor `<main>` exists.
    pub main: Option<MainHead>,
    /// Whether the ref's commit is the main head or one of its ancestors.
    pub ref_on_main: bool,
    /// The release tag, when one is to be created.
    pub tag: Option<TagFacts>,
}

/// The release tag and where it points now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagFacts {
    /// `v0.1.0`.
    pub name: String,
    /// Its commit, `None` when the tag does not exist.
    pub commit: Option<String>,
}

/// One reason not to release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PreflightProblem {
    /// Uncommitted changes: what is built would not be the commit.
    DirtyTree {
        /// `git status --porcelain` lines.
        changed: Vec<String>,
    },
    /// The ref names no commit.
    RefNotFound {
        /// The ref.
        reference: String,
    },
    /// Neither `origin/<main>` nor `<main>` exists.
    NoMainBranch {
        /// The main branch's name.
        branch: String,
    },
    /// The ref's commit is not on the main branch.
    RefNotOnMain {
        /// The ref.
        reference: String,
        /// Its commit.
        commit: String,
        /// The main branch's head.
        main: MainHead,
    },
    /// The checkout is not the ref's commit: what is built would not be what is released.
    HeadNotAtRef {
        /// The ref.
        reference: String,
        /// Its commit.
        ref_commit: String,
        /// The commit checked out, if any.
        head: Option<String>,
    },
    /// The release tag exists at another commit.
    TagElsewhere {
        /// The tag.
        tag: String,
        /// Where it points.
        tag_commit: String,
        /// The ref.
        reference: String,
        /// The ref's commit.
        ref_commit: String,
    },
}

impl ReleaseFacts {
    /// Asks git about releasing `reference` from the branch `main_branch`, with `tag`
    /// (when given) as the release tag.
    pub fn gather(
        repo: &Repository,
        reference: &str,
        main_branch: &str,
        tag: Option<&str>,
    ) -> Result<Self> {
        let ref_commit = repo.resolve_commit(reference)?;
        let main = repo.main_head(main_branch)?;
        let ref_on_main = match (&ref_commit, &main) {
            (Some(commit), Some(main)) => repo.is_ancestor(commit, &main.commit)?,
            _ => false,
        };
        let tag = match tag {
            Some(name) => Some(TagFacts {
                name: name.to_owned(),
                commit: repo.tag_commit(name)?,
            }),
            None => None,
        };
        Ok(Self {
            changed: repo.changed_paths()?,
            reference: reference.to_owned(),
            ref_commit,
            head_commit: repo.resolve_commit("HEAD")?,
            main_branch: main_branch.to_owned(),
            main,
            ref_on_main,
            tag,
        })
    }

    /// Every reason not to release: [`ReleaseFacts::commit_problems`], a dirty tree and
    /// a release tag that exists at another commit.
    pub fn problems(&self) -> Vec<PreflightProblem> {
        let mut problems = Vec::new();
        if !self.changed.is_empty() {
            problems.push(PreflightProblem::DirtyTree {
                changed: self.changed.clone(),
            });
        }
        problems.extend(self.commit_problems());
        if let (Some(tag), Some(ref_commit)) = (&self.tag, &self.ref_commit)
            && let Some(tag_commit) = tag.commit.as_ref().filter(|c| *c != ref_commit)
        {
            problems.push(PreflightProblem::TagElsewhere {
                tag: tag.name.clone(),
                tag_commit: tag_commit.clone(),
                reference: self.reference.clone(),
                ref_commit: ref_commit.clone(),
            });
        }
        problems
    }

    /// The reasons the ref's commit is not releasable: it names none, it is not on the
    /// main branch, or it is not what is checked out.
    pub fn commit_problems(&self) -> Vec<PreflightProblem> {
        let Some(ref_commit) = &self.ref_commit else {
            return vec![PreflightProblem::RefNotFound {
                reference: self.reference.clone(),
            }];
        };
        let mut problems = Vec::new();
        match &self.main {
            None => problems.push(PreflightProblem::NoMainBranch {
                branch: self.main_branch.clone(),
            }),
            Some(main) if !self.ref_on_main => problems.push(PreflightProblem::RefNotOnMain {
                reference: self.reference.clone(),
                commit: ref_commit.clone(),
                main: main.clone(),
            }),
            Some(_) => {}
        }
        if self.head_commit.as_ref() != Some(ref_commit) {
            problems.push(PreflightProblem::HeadNotAtRef {
                reference: self.reference.clone(),
                ref_commit: ref_commit.clone(),
                head: self.head_commit.clone(),
            });
        }
        problems
    }
}

impl fmt::Display for PreflightProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PreflightProblem::DirtyTree { changed } => {
                const SHOWN: usize = 5;
                let mut list = changed[..changed.len().min(SHOWN)].join(", ");
                if changed.len() > SHOWN {
                    list.push_str(&format!(", and {} more", changed.len() - SHOWN));
                }
                write!(
                    f,
                    "the working tree has uncommitted changes ({list}): commit or stash them, \
                     a release is built from a commit"
                )
            }
            PreflightProblem::RefNotFound { reference } => write!(
                f,
                "{reference:?} names no commit in this repository: give --ref a branch, tag or \
                 commit that exists here"
            ),
            PreflightProblem::NoMainBranch { branch } => write!(
                f,
                "there is no main branch to release from (neither origin/{branch} nor \
                 {branch} exists): fetch it (git fetch origin {branch}) or name it with \
                 --main-branch"
            ),
            PreflightProblem::RefNotOnMain {
                reference,
                commit,
                main,
            } => write!(
                f,
                "{reference} ({}) is not on {} ({}): only commits merged into the main branch \
                 are released; merge it first, or fetch the full history if this is a shallow \
                 clone",
                short_commit(commit),
                main.name,
                short_commit(&main.commit)
            ),
            PreflightProblem::HeadNotAtRef {
                reference,
                ref_commit,
                head,
            } => write!(
                f,
                "the checkout is at {}, not at {reference} ({}): check out {reference} so that \
                 what is built is what is released",
                head.as_deref().map(short_commit).unwrap_or("no commit"),
                short_commit(ref_commit)
            ),
            PreflightProblem::TagElsewhere {
                tag,
                tag_commit,
                reference,
                ref_commit,
            } => write!(
                f,
                "the tag {tag} already exists at {}, not at {reference} ({}): a released \
                 version never moves; bump to a new version",
                short_commit(tag_commit),
                short_commit(ref_commit)
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    fn releasable() -> ReleaseFacts {
        ReleaseFacts {
            changed: Vec::new(),
            reference: "main".into(),
            ref_commit: Some(A.into()),
            head_commit: Some(A.into()),
            main_branch: "main".into(),
            main: Some(MainHead {
                name: "origin/main".into(),
                commit: A.into(),
            }),
            ref_on_main: true,
            tag: Some(TagFacts {
                name: "v0.1.0".into(),
                commit: None,
            }),
        }
    }

    fn messages(facts: &ReleaseFacts) -> Vec<String> {
        facts.problems().iter().map(ToString::to_string).collect()
    }

    #[test]
    fn a_clean_checkout_of_main_is_releasable() {
        assert_eq!(releasable().problems(), []);
        let mut tagged_here = releasable();
        tagged_here.tag.as_mut().unwrap().commit = Some(A.into());
        assert_eq!(tagged_here.problems(), []);
    }

    #[test]
    fn each_problem_is_named() {
        let mut facts = releasable();
        facts.changed = (1..=7).map(|n| format!("?? f{n}")).collect();
        facts.ref_on_main = false;
        facts.head_commit = Some(B.into());
        facts.tag.as_mut().unwrap().commit = Some(B.into());
        assert_eq!(
            messages(&facts),
            [
                "the working tree has uncommitted changes (?? f1, ?? f2, ?? f3, ?? f4, ?? f5, \
                 and 2 more): commit or stash them, a release is built from a commit",
                "main (aaaaaaaaaaaa) is not on origin/main (aaaaaaaaaaaa): only commits merged \
                 into the main branch are released; merge it first, or fetch the full history \
                 if this is a shallow clone",
                "the checkout is at bbbbbbbbbbbb, not at main (aaaaaaaaaaaa): check out main so \
                 that what is built is what is released",
                "the tag v0.1.0 already exists at bbbbbbbbbbbb, not at main (aaaaaaaaaaaa): a \
                 released version never moves; bump to a new version",
            ]
        );
    }

    #[test]
    fn unknown_ref_and_missing_main() {
        let mut facts = releasable();
        facts.ref_commit = None;
        facts.reference = "nope".into();
        assert_eq!(
            facts.commit_problems(),
            [PreflightProblem::RefNotFound {
                reference: "nope".into()
            }]
        );
        let mut facts = releasable();
        facts.main = None;
        facts.ref_on_main = false;
        assert_eq!(
            messages(&facts),
            [
                "there is no main branch to release from (neither origin/main nor main exists): \
              fetch it (git fetch origin main) or name it with --main-branch"
            ]
        );
    }
}
