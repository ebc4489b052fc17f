//! The data scope every list and search query must take. It is built from
//! the principal's grants; only system jobs use [`Scope::system`].

use sea_query::{Cond, Condition, Expr, ExprTrait};
use yunwei_domain::org::subtree_upper_bound;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// `None`: system job, everything. Otherwise (path, subtree) ranges.
    ranges: Option<Vec<(String, bool)>>,
}

impl Scope {
    pub fn ranges(ranges: Vec<(String, bool)>) -> Self {
        Scope {
            ranges: Some(ranges),
        }
    }

    /// Unscoped access, reserved for background jobs and CLI maintenance.
    pub fn system() -> Self {
        Scope { ranges: None }
    }

    /// The scope of a principal whose grant covers the root organisation
    /// with its subtree: the whole tree. Unlike [`Scope::system`] it is
    /// only built from such a grant (see `covers_subtree`).
    pub fn whole_tree() -> Self {
        Scope { ranges: None }
    }

    /// Whether one of the ranges is `path` with its subtree.
    pub fn covers_subtree(&self, path: &str) -> bool {
        match &self.ranges {
            None => true,
            Some(r) => r
                .iter()
                .any(|(p, sub)| *sub && path.starts_with(p.as_str())),
        }
    }

    pub fn is_empty(&self) -> bool {
        matches!(&self.ranges, Some(r) if r.is_empty())
    }

    pub fn contains(&self, path: &str) -> bool {
        match &self.ranges {
            None => true,
            Some(r) => r.iter().any(|(p, sub)| {
                if *sub {
                    path.starts_with(p.as_str())
                } else {
                    path == p
                }
            }),
        }
    }

    /// SQL condition restricting `col` (a materialised path) to the scope.
    pub fn condition(&self, col: &'static str) -> Condition {
        self.condition_on(|| Expr::col(col))
    }

    /// [`Scope::condition`] over any expression of the path, e.g. one the
    /// query planner must not use an index for.
    pub fn condition_on(&self, col: impl Fn() -> Expr) -> Condition {
        match &self.ranges {
            None => Cond::all(),
            Some(r) if r.is_empty() => Cond::all().add(Expr::val(1).eq(0)),
            Some(r) => {
                let mut any = Cond::any();
                for (p, sub) in r {
                    any = if *sub {
                        any.add(
                            Cond::all()
                                .add(col().gte(p.clone()))
                                .add(col().lt(subtree_upper_bound(p))),
                        )
                    } else {
                        any.add(col().eq(p.clone()))
                    };
                }
                any
            }
        }
    }
}
