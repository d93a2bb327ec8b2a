//! X2: user names, prepared and compared as RFC 8265's UsernameCaseMapped profile does, so that
//! names which render alike (`admin`, `ADMIN`, `ａｄｍｉｎ`, `admin` with a joiner or a tag
//! character after it) cannot name two users.

use precis_profiles::precis_core::profile::Profile;
use precis_profiles::UsernameCaseMapped;

/// The rule a refused user name breaks, in words a client can show.
pub(crate) const RULE: &str =
    "must be a user name that RFC 8265's UsernameCaseMapped profile accepts: letters and digits \
     (and the punctuation and symbols it allows), in words separated by single spaces";

/// The key two user names are compared by: each space-separated word (RFC 8265 §3.5's userparts)
/// enforced by the UsernameCaseMapped profile (width-mapped, lowercased, NFC), or the rule `name`
/// breaks when the profile refuses a word of it.
pub fn key(name: &str) -> Result<String, &'static str> {
    let profile = UsernameCaseMapped::new();
    let words: Result<Vec<String>, _> = name.split(' ').map(|w| profile.enforce(w).map(|w| w.into_owned())).collect();
    words.map(|w| w.join(" ")).map_err(|_| RULE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x2_user_names_compare_as_the_username_case_mapped_profile_does() {
        assert_eq!(key("admin").as_deref(), Ok("admin"));
        assert_eq!(key("ADMIN").as_deref(), Ok("admin"));
        assert_eq!(key("\u{ff41}dmin").as_deref(), Ok("admin"), "fullwidth is width-mapped");
        assert_eq!(key("Ren\u{e9}e Dupont").as_deref(), Ok("ren\u{e9}e dupont"));
        assert_eq!(key("Rene\u{301}e"), key("Ren\u{e9}e"));
        for look_alike in [
            "admin\u{200d}",
            "admin\u{fe0f}",
            "admin\u{fe00}",
            "admin\u{e0100}",
            "admin\u{180b}",
            "admin\u{180f}",
            "admin\u{e0061}",
            "admin\u{e0001}",
            "admin\u{e007f}",
            "admin\u{1bca0}",
            "admin\u{1d173}",
            "admin\u{fff9}",
            "admin\u{13430}",
            "ad\u{200a}min",
            "ad  min",
            "",
        ] {
            assert_eq!(key(look_alike), Err(RULE), "{look_alike:?}");
        }
    }
}
