//! Paging of lists whose totals may be capped (counted up to a limit).

/// Page count for the pager. A capped total only says "at least this
/// many", so a full page is followed by another one.
pub fn page_count(total: i64, capped: bool, page: u64, per_page: u64, shown: usize) -> u64 {
    let counted = (total.max(0) as u64).div_ceil(per_page).max(1);
    match (capped, shown as u64 == per_page) {
        (true, true) => counted.max(page + 1),
        (true, false) => page,
        (false, _) => counted,
    }
}

#[cfg(test)]
mod tests {
    use super::page_count;

    #[test]
    fn exact_totals_give_exact_page_counts() {
        assert_eq!(page_count(0, false, 1, 50, 0), 1);
        assert_eq!(page_count(120, false, 1, 50, 50), 3);
    }

    #[test]
    fn capped_totals_offer_a_next_page_only_after_a_full_page() {
        // 1000+ matches: at least the 20 counted pages.
        assert_eq!(page_count(1000, true, 1, 50, 50), 20);
        assert_eq!(page_count(1000, true, 25, 50, 50), 26);
        // Past the end of the matches: no next page.
        assert_eq!(page_count(1000, true, 30, 50, 7), 30);
    }
}
