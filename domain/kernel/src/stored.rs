//! Statuses and kinds: Rust enums stored as text through one conversion.
//!
//! [`stored_enum!`](crate::stored_enum) defines the enum, the text each variant is stored
//! as, and the two ways across: `key` to write, `from_stored` to read. A stored value this
//! build does not know is corrupt data and answers an error, never a silent default. The
//! GraphQL edge mirrors these enums with `#[graphql(remote = "…")]`, so the compiler keeps
//! the two lists equal.

use crate::Error;

#[doc(hidden)]
pub use serde;

/// Defines a `Copy` enum stored as text, with `ALL`, `key()`, `from_key()` (for input the
/// caller validates) and `from_stored()` (for rows, where an unknown value is an error).
/// It serializes as its key, so JSON settings hold the same text as the columns.
#[macro_export]
macro_rules! stored_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $($(#[$variant_meta:meta])* $variant:ident = $key:literal,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        $vis enum $name {
            $($(#[$variant_meta])* $variant,)+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The text this value is stored as.
            pub const fn key(self) -> &'static str {
                match self { $($name::$variant => $key,)+ }
            }

            pub fn from_key(key: &str) -> Option<Self> {
                match key { $($key => Some($name::$variant),)+ _ => None }
            }

            /// Reads a stored value; one this build does not know is an error.
            pub fn from_stored(key: &str) -> $crate::Result<Self> {
                Self::from_key(key)
                    .ok_or_else(|| $crate::stored::unknown(stringify!($name), key))
            }
        }

        impl $crate::stored::serde::Serialize for $name {
            fn serialize<S: $crate::stored::serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.key())
            }
        }

        impl<'de> $crate::stored::serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::stored::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                let key = <String as $crate::stored::serde::Deserialize>::deserialize(deserializer)?;
                Self::from_key(&key).ok_or_else(|| {
                    <D::Error as $crate::stored::serde::de::Error>::custom(
                        $crate::stored::unknown(stringify!($name), &key),
                    )
                })
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.key())
            }
        }
    };
}

#[doc(hidden)]
pub fn unknown(what: &'static str, stored: &str) -> Error {
    Error::Unexpected(anyhow::anyhow!("unknown stored {what} {stored:?}"))
}

#[cfg(test)]
mod tests {
    stored_enum! {
        enum Light {
            Red = "red",
            Green = "green",
        }
    }

    #[test]
    fn round_trips_every_variant_and_refuses_unknown_text() {
        for light in Light::ALL {
            assert_eq!(Light::from_stored(light.key()).expect("known key"), *light);
        }
        let err = Light::from_stored("amber").expect_err("unknown key");
        assert!(err.to_string().contains("Light \"amber\""), "{err}");
        assert_eq!(Light::from_key("RED"), None);
        assert_eq!(
            serde_json::to_string(&Light::Green).expect("serializes"),
            "\"green\""
        );
        assert!(serde_json::from_str::<Light>("\"amber\"").is_err());
    }
}
