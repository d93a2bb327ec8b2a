//! X4: what one answer may hold, so that no page of a list builds an answer far larger than a
//! request (60 versions of 1 MiB would otherwise make a 60 MiB page).

/// The content one page of versions carries at most, in bytes (4 MiB); a page always carries at
/// least one version (a version's content is at most 1 MiB).
pub(crate) const VERSION_PAGE_BYTES: i64 = 4 << 20;

/// How many of the rows of `sizes` (in page order) one page takes: as many as fit in `budget`
/// bytes, and at least one.
pub(crate) fn rows_within(sizes: &[i64], budget: i64) -> usize {
    let mut used = 0;
    let fitting = sizes.iter().take_while(|s| {
        used += **s;
        used <= budget
    });
    fitting.count().max(1).min(sizes.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x4_a_page_takes_what_fits_in_its_budget_and_at_least_one_row() {
        assert_eq!(rows_within(&[], 10), 0);
        assert_eq!(rows_within(&[4, 4, 4], 10), 2);
        assert_eq!(rows_within(&[4, 6, 1], 10), 2);
        assert_eq!(rows_within(&[11, 1], 10), 1);
        assert_eq!(rows_within(&[1, 1, 1], 10), 3);
    }
}
