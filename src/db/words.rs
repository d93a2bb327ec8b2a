//! The domain's closed sets of words (`Role`, `DeploymentStatus`, `Outcome`, …) as diesel reads
//! and writes them: `Text` columns on both backends, through the multi backend too. A row carries
//! the enum, never the string; a word the enum does not know fails the read (a row no version of
//! rewind wrote), rather than travelling on as text.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, Queryable};
use diesel::expression::AsExpression;
// The bind parameter that `#[derive(AsExpression)]` expands to; the derive itself would put diesel
// into `domain/`, which holds plain rules only.
use diesel::internal::derives::as_expression::Bound;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Text;

use crate::domain::approvals::Verdict;
use crate::domain::{
    Action, ConflictPolicy, DeliveryStatus, DeploymentStatus, HoldCause, ItemKind, Outcome, ReleaseKind, Role,
    SkipReason, Trigger,
};

macro_rules! stored_as_text {
    ($($t:ty),+ $(,)?) => {$(
        impl<DB: Backend> FromSql<Text, DB> for $t
        where
            String: FromSql<Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                let word = String::from_sql(bytes)?;
                <$t>::parse(&word).ok_or_else(|| format!("not a {}: {word:?}", stringify!($t)).into())
            }
        }

        impl<DB: Backend> Queryable<Text, DB> for $t
        where
            $t: FromSql<Text, DB>,
        {
            type Row = Self;

            fn build(row: Self) -> deserialize::Result<Self> {
                Ok(row)
            }
        }

        impl<DB: Backend> ToSql<Text, DB> for $t
        where
            str: ToSql<Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                self.as_str().to_sql(out)
            }
        }

        impl AsExpression<Text> for $t {
            type Expression = Bound<Text, Self>;

            fn as_expression(self) -> Self::Expression {
                Bound::new(self)
            }
        }

        impl<'a> AsExpression<Text> for &'a $t {
            type Expression = Bound<Text, Self>;

            fn as_expression(self) -> Self::Expression {
                Bound::new(self)
            }
        }
    )+};
}

stored_as_text!(
    Verdict,
    HoldCause,
    Role,
    ItemKind,
    Action,
    Outcome,
    SkipReason,
    ReleaseKind,
    DeploymentStatus,
    ConflictPolicy,
    Trigger,
    DeliveryStatus,
);
