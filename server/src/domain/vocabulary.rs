//! `string_enum!`: an enum whose variants are stored as fixed strings, with `as_str`,
//! `FromStr` (exact spelling; the error names the kind and what was given), `Display`
//! and `ALL`. The typed vocabulary of `domain` (audit actions, actor kinds, approval
//! statuses) is made with it, so strings appear only where values are stored.

/// A string that names no variant of a `string_enum!` type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{given}` is not a known {kind}")]
pub struct Unknown {
    /// What was being parsed (`audit action`, `actor kind`, ...).
    pub kind: &'static str,
    /// The text given.
    pub given: String,
}

/// Declares an enum of fixed strings. `$kind` names it in parse errors.
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident ($kind:literal) {
            $( $(#[$vmeta:meta])* $variant:ident => $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[ $( $name::$variant, )+ ];

            /// The stored form.
            #[must_use]
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $text, )+
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::domain::vocabulary::Unknown;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $( $text => Ok($name::$variant), )+
                    other => Err($crate::domain::vocabulary::Unknown {
                        kind: $kind,
                        given: other.to_owned(),
                    }),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    };
}

pub(crate) use string_enum;
