//! Paging of lists whose totals may be capped (counted up to a limit),
//! and the one check of page parameters.

use crate::AppError;

/// Largest page number or page size a request may name. Larger numbers,
/// zero and non-numbers are refused (`request.invalid_page`), never wrapped
/// or read as page 1. A page size above a list's own maximum is clamped to
/// that maximum by the list.
pub const MAX_PAGE: u64 = 1_000_000;

/// Stable code of an invalid page parameter.
pub const CODE_INVALID_PAGE: &str = "request.invalid_page";

/// Query parameters checked by [`parse_page_param`].
pub const PAGE_PARAMS: &[&str] = &["page", "per_page", "page_size"];

/// Parses a page number or page size: decimal digits, 1..=[`MAX_PAGE`];
/// an empty value means "not given" (`None`).
pub fn parse_page_param(name: &str, raw: &str) -> Result<Option<u64>, AppError> {
    let t = raw.trim();
    if t.is_empty() {
        return Ok(None);
    }
    match t.parse::<u64>() {
        Ok(n) if t.bytes().all(|b| b.is_ascii_digit()) && (1..=MAX_PAGE).contains(&n) => {
            Ok(Some(n))
        }
        _ => Err(AppError::bad_request(
            CODE_INVALID_PAGE,
            format!("分页参数 {name} 无效：应为 1 至 {MAX_PAGE} 之间的整数"),
        )),
    }
}

/// Rows to skip for a (validated) page: saturating, never wrapping.
pub fn offset(page: u64, per_page: u64) -> u64 {
    page.max(1).saturating_sub(1).saturating_mul(per_page)
}

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
    use super::*;

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

    #[test]
    fn defect_9e_page_parameters_are_bounded_never_wrapped() {
        assert_eq!(parse_page_param("page", "3").unwrap(), Some(3));
        assert_eq!(parse_page_param("page", "").unwrap(), None);
        assert_eq!(parse_page_param("page", "1000000").unwrap(), Some(MAX_PAGE));
        for bad in [
            "abc",
            "0",
            "-1",
            "+2",
            "1000001",
            "18446744073709551615",
            "18446744073709551616",
            "1.5",
        ] {
            let e = parse_page_param("page", bad).unwrap_err();
            assert_eq!(e.code, "request.invalid_page", "{bad}");
            assert!(e.message.contains("分页参数 page 无效"), "{}", e.message);
        }
        assert_eq!(offset(u64::MAX, u64::MAX), u64::MAX);
        assert_eq!(offset(0, 50), 0);
        assert_eq!(offset(3, 50), 100);
    }
}
