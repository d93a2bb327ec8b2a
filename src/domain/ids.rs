//! The ids the service's use cases take: one type per kind of thing, so that a release's id is
//! never passed where a deployment's is meant. An id is a UUID in its canonical text: one named by
//! a request is checked so (X2, 400 where it is not), one read from a row is taken as stored.
//! A handler parses its path's id into its type and the use case takes that; where a rule must
//! answer the caller's role before a malformed id (publishing, grants, tokens, webhooks), the use
//! case takes the text and parses it, into the same type, after the role check. Rows keep their
//! ids as text: the type is for what crosses into `service/`, and an id reads as `&str` (`Deref`)
//! where a query binds it.

/// What every id type can do: be parsed from a request's text.
pub trait Id: Sized {
    /// The id `s` names, if it is a canonical UUID.
    fn parse(s: &str) -> Option<Self>;
}

macro_rules! id_type {
    ($($(#[$meta:meta])* $name:ident),+ $(,)?) => {$(
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// An id as a row stores it (rows are written with checked ids only).
            pub fn stored(id: impl Into<String>) -> $name {
                $name(id.into())
            }

            /// The id's text, as stored and sent.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The id's text, owned.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl Id for $name {
            fn parse(s: &str) -> Option<$name> {
                super::validate::id(s).map($name)
            }
        }

        /// An id reads as its text where a query binds it.
        impl std::ops::Deref for $name {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                self == &other.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    )+};
}

id_type!(
    /// A release's id (standard or rollback).
    ReleaseId,
    /// A deployment's id.
    DeploymentId,
    /// An item's id (entry or asset).
    ItemId,
    /// A user's id.
    UserId,
    /// A webhook endpoint's id.
    EndpointId,
    /// An API token's id.
    TokenId,
    /// A freeze window's id (H4).
    FreezeId,
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x2_an_id_is_a_canonical_uuid() {
        let id = uuid::Uuid::now_v7().to_string();
        assert_eq!(ReleaseId::parse(&id).map(|r| r.into_string()), Some(id.clone()));
        assert!(ReleaseId::parse(&id.to_uppercase()).is_none());
        assert!(DeploymentId::parse("None").is_none());
        assert!(ItemId::parse("").is_none());
    }
}
