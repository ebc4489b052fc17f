//! Regions and organisations form a tree (province > city > county, each
//! with departments, sections, vendors and budget units), stored with a
//! materialised path so a subtree is one indexed range (`JSCZ-6`).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    Province,
    City,
    County,
    Department,
    Section,
    Vendor,
    BudgetUnit,
}

impl OrgKind {
    pub const ALL: [OrgKind; 7] = [
        OrgKind::Province,
        OrgKind::City,
        OrgKind::County,
        OrgKind::Department,
        OrgKind::Section,
        OrgKind::Vendor,
        OrgKind::BudgetUnit,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrgKind::Province => "province",
            OrgKind::City => "city",
            OrgKind::County => "county",
            OrgKind::Department => "department",
            OrgKind::Section => "section",
            OrgKind::Vendor => "vendor",
            OrgKind::BudgetUnit => "budget_unit",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            OrgKind::Province => "省级",
            OrgKind::City => "市级",
            OrgKind::County => "县级",
            OrgKind::Department => "部门",
            OrgKind::Section => "科室",
            OrgKind::Vendor => "厂商",
            OrgKind::BudgetUnit => "预算单位",
        }
    }

    /// Which kinds may be created under a parent of this kind. Regions nest
    /// province > city > county; every level has its own units.
    pub fn allows_child(self, child: OrgKind) -> bool {
        use OrgKind::*;
        match self {
            Province => matches!(child, City | Department | Vendor | BudgetUnit),
            City => matches!(child, County | Department | Vendor | BudgetUnit),
            County => matches!(child, Department | Vendor | BudgetUnit),
            Department => matches!(child, Section),
            Section | Vendor | BudgetUnit => false,
        }
    }
}

/// Path of a node given its parent's path: `/<root-id>/<child-id>/`.
pub fn child_path(parent_path: &str, id: &str) -> String {
    format!("{parent_path}{id}/")
}

pub fn root_path(id: &str) -> String {
    format!("/{id}/")
}

/// True when `path` is `scope` itself or lies below it.
pub fn is_within(path: &str, scope: &str) -> bool {
    path.starts_with(scope)
}

/// Exclusive upper bound of the subtree range `[scope, upper)`: every path
/// starting with `scope` sorts below it under byte-wise (C) collation,
/// because `scope` ends in '/' (0x2F) and '0' is 0x30.
pub fn subtree_upper_bound(scope: &str) -> String {
    debug_assert!(scope.ends_with('/'));
    let mut upper = scope[..scope.len() - 1].to_string();
    upper.push('0');
    upper
}

/// Number of levels in a path (root = 1).
pub fn depth(path: &str) -> usize {
    path.trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subtree_range_contains_descendants_only() {
        let root = root_path("a");
        let child = child_path(&root, "b");
        let grandchild = child_path(&child, "c");
        let sibling = child_path(&root, "bb");
        let upper = subtree_upper_bound(&child);
        for p in [&child, &grandchild] {
            assert!(p.as_str() >= child.as_str() && p.as_str() < upper.as_str());
            assert!(is_within(p, &child));
        }
        assert!(!(sibling.as_str() >= child.as_str() && sibling.as_str() < upper.as_str()));
        assert!(!is_within(&sibling, &child));
        assert!(!is_within(&root, &child));
        assert_eq!(depth(&grandchild), 3);
    }

    #[test]
    fn jscz_6_regions_nest_province_city_county() {
        assert!(OrgKind::Province.allows_child(OrgKind::City));
        assert!(OrgKind::City.allows_child(OrgKind::County));
        assert!(!OrgKind::County.allows_child(OrgKind::City));
        assert!(!OrgKind::Vendor.allows_child(OrgKind::Section));
        for k in OrgKind::ALL {
            assert_eq!(OrgKind::parse(k.as_str()), Some(k));
        }
    }
}
