//! Pure tenancy rules: value types that are valid once they exist, plans and system roles.

use crate::{Error, Permission, PermissionSet, Result};

/// A normalised (trimmed, lower-case) email address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(raw: &str, field: &'static str) -> Result<Self> {
        let email = raw.trim().to_lowercase();
        let invalid = || {
            Error::invalid(
                field,
                format!("'{}' is not a valid email address", raw.trim()),
            )
        };
        let (local, domain) = email.split_once('@').ok_or_else(invalid)?;
        let well_formed = !local.is_empty()
            && local.len() <= 64
            && email.len() <= 254
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && !domain.contains('@')
            && !email.chars().any(|c| c.is_whitespace() || c.is_control());
        if well_formed {
            Ok(Self(email))
        } else {
            Err(invalid())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password strong enough to keep: long, varied and not a well-known one.
pub struct Password(String);

const MIN_PASSWORD_LEN: usize = 10;
const COMMON_PASSWORDS: &[&str] = &[
    "password",
    "password1",
    "password123",
    "1234567890",
    "qwertyuiop",
    "contraseña",
    "contrasena",
    "contrasena1",
    "administrador",
    "iloveyou12",
    "123456789a",
];

impl Password {
    pub fn parse(raw: &str, field: &'static str) -> Result<Self> {
        let chars = raw.chars().count();
        if chars < MIN_PASSWORD_LEN {
            return Err(Error::invalid(
                field,
                format!("password must be at least {MIN_PASSWORD_LEN} characters"),
            ));
        }
        if chars > 128 {
            return Err(Error::invalid(
                field,
                "password can be at most 128 characters",
            ));
        }
        let has_letter = raw.chars().any(char::is_alphabetic);
        let has_other = raw.chars().any(|c| !c.is_alphabetic());
        let distinct = raw.chars().collect::<std::collections::BTreeSet<_>>().len();
        if !has_letter || !has_other || distinct < 5 {
            return Err(Error::invalid(
                field,
                "password is too weak: mix letters with digits or symbols",
            ));
        }
        if COMMON_PASSWORDS.contains(&raw.to_lowercase().as_str()) {
            return Err(Error::invalid(field, "password is too common"));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// A tenant's URL-safe unique name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slug(String);

impl Slug {
    pub fn parse(raw: &str, field: &'static str) -> Result<Self> {
        let valid = (3..=48).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !raw.starts_with('-')
            && !raw.ends_with('-')
            && !raw.contains("--");
        if valid {
            Ok(Self(raw.to_owned()))
        } else {
            Err(Error::invalid(
                field,
                "slug must be 3-48 lower-case letters, digits and single hyphens",
            ))
        }
    }

    /// Derives a slug from a business name: `Panadería La Espiga` → `panaderia-la-espiga`.
    pub fn from_name(name: &str) -> Self {
        let mut slug = String::new();
        for c in name.chars().flat_map(char::to_lowercase) {
            let c = match c {
                'á' | 'à' | 'ä' | 'â' | 'ã' => 'a',
                'é' | 'è' | 'ë' | 'ê' => 'e',
                'í' | 'ì' | 'ï' | 'î' => 'i',
                'ó' | 'ò' | 'ö' | 'ô' | 'õ' => 'o',
                'ú' | 'ù' | 'ü' | 'û' => 'u',
                'ñ' => 'n',
                'ç' => 'c',
                c => c,
            };
            if c.is_ascii_alphanumeric() {
                slug.push(c);
            } else if !slug.is_empty() && !slug.ends_with('-') {
                slug.push('-');
            }
        }
        let mut slug = slug.trim_end_matches('-').to_owned();
        slug.truncate(40);
        let slug = slug.trim_end_matches('-').to_owned();
        if slug.len() < 3 {
            return Self(format!("negocio-{slug}").trim_end_matches('-').to_owned());
        }
        Self(slug)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A required, trimmed, bounded piece of text such as a name.
pub fn required_text(raw: &str, field: &'static str, max: usize) -> Result<String> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(Error::invalid(field, format!("{field} is required")));
    }
    if text.chars().count() > max {
        return Err(Error::invalid(
            field,
            format!("{field} can be at most {max} characters"),
        ));
    }
    Ok(text.to_owned())
}

/// Regional settings of a tenant, validated for shape.
pub fn country_code(raw: &str) -> Result<String> {
    let code = raw.trim().to_uppercase();
    if code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(code)
    } else {
        Err(Error::invalid(
            "country",
            "country must be an ISO 3166-1 alpha-2 code such as MX",
        ))
    }
}

pub fn currency_code(raw: &str) -> Result<String> {
    let code = raw.trim().to_uppercase();
    if code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(code)
    } else {
        Err(Error::invalid(
            "currency",
            "currency must be an ISO 4217 code such as MXN",
        ))
    }
}

pub fn locale_tag(raw: &str) -> Result<String> {
    let tag = raw.trim();
    let mut parts = tag.split('-');
    let language_ok = parts
        .next()
        .is_some_and(|l| (2..=3).contains(&l.len()) && l.bytes().all(|b| b.is_ascii_lowercase()));
    let region_ok =
        parts.all(|p| (2..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()));
    if language_ok && region_ok {
        Ok(tag.to_owned())
    } else {
        Err(Error::invalid(
            "locale",
            "locale must be a BCP 47 tag such as es-MX",
        ))
    }
}

pub fn timezone_name(raw: &str) -> Result<String> {
    let tz = raw.trim();
    let valid = tz == "UTC"
        || (tz.contains('/')
            && tz.len() <= 64
            && tz
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'-' | b'+')));
    if valid {
        Ok(tz.to_owned())
    } else {
        Err(Error::invalid(
            "timezone",
            "timezone must be an IANA name such as America/Mexico_City",
        ))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Plan {
    #[default]
    Free,
    Pro,
    Enterprise,
}

impl Plan {
    pub fn key(self) -> &'static str {
        match self {
            Plan::Free => "free",
            Plan::Pro => "pro",
            Plan::Enterprise => "enterprise",
        }
    }

    pub fn parse(key: &str) -> Self {
        match key {
            "pro" => Plan::Pro,
            "enterprise" => Plan::Enterprise,
            _ => Plan::Free,
        }
    }

    /// API requests per minute for the whole tenant, across all its credentials.
    pub fn requests_per_minute(self) -> u32 {
        match self {
            Plan::Free => 600,
            Plan::Pro => 3_000,
            Plan::Enterprise => 12_000,
        }
    }
}

pub const OWNER_ROLE: &str = "owner";

pub struct SystemRole {
    pub key: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub permissions: PermissionSet,
}

/// The roles every tenant starts with.
pub fn system_roles() -> Vec<SystemRole> {
    use Permission::*;
    let all = PermissionSet::all();
    let admin: PermissionSet = all.iter().filter(|p| *p != TenantPlanManage).collect();
    let reads = [
        UsersRead,
        CrmContactsRead,
        CrmLeadsRead,
        CommerceOrdersRead,
        BillingInvoicesRead,
        MessagingRead,
        IotRead,
        SchedulingRead,
        FilesDownload,
        AnalyticsRead,
    ];
    let with_reads =
        |extra: &[Permission]| -> PermissionSet { reads.iter().chain(extra).copied().collect() };
    vec![
        SystemRole {
            key: OWNER_ROLE,
            name: "Owner",
            description: "Everything, including the plan",
            permissions: all,
        },
        SystemRole {
            key: "admin",
            name: "Administrator",
            description: "Everything but the plan",
            permissions: admin,
        },
        SystemRole {
            key: "manager",
            name: "Manager",
            description: "Runs sales, stock, billing and the team's work",
            permissions: with_reads(&[
                AuditRead,
                CrmContactsWrite,
                CrmLeadsWrite,
                CrmProposalsWrite,
                CommerceProductsWrite,
                CommerceOrdersWrite,
                BillingInvoicesWrite,
                BillingPaymentsWrite,
                MessagingWrite,
                CampaignsWrite,
                CampaignsSend,
                IotWrite,
                SchedulingWrite,
                FilesUpload,
                AutomationWrite,
            ]),
        },
        SystemRole {
            key: "sales",
            name: "Sales",
            description: "Contacts, leads, proposals and orders",
            permissions: with_reads(&[
                CrmContactsWrite,
                CrmLeadsWrite,
                CrmProposalsWrite,
                CommerceOrdersWrite,
                MessagingWrite,
                SchedulingWrite,
                FilesUpload,
            ]),
        },
        SystemRole {
            key: "marketing",
            name: "Marketing",
            description: "Segments, templates and campaigns",
            permissions: with_reads(&[
                CrmContactsWrite,
                CampaignsWrite,
                CampaignsSend,
                FilesUpload,
            ]),
        },
        SystemRole {
            key: "agent",
            name: "Agent",
            description: "Answers conversations and books appointments",
            permissions: with_reads(&[
                CrmContactsWrite,
                MessagingWrite,
                SchedulingWrite,
                FilesUpload,
            ]),
        },
        SystemRole {
            key: "analyst",
            name: "Analyst",
            description: "Reads everything, changes nothing",
            permissions: with_reads(&[AuditRead]),
        },
        SystemRole {
            key: "viewer",
            name: "Viewer",
            description: "Reads day-to-day records",
            permissions: [
                CrmContactsRead,
                CrmLeadsRead,
                CommerceOrdersRead,
                SchedulingRead,
                IotRead,
            ]
            .into_iter()
            .collect(),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        let email = EmailAddress::parse("  Ana.Lopez@Example.MX ", "email").expect("valid");
        assert_eq!(email.as_str(), "ana.lopez@example.mx");
    }

    #[test]
    fn malformed_emails_are_refused_naming_the_field() {
        for raw in [
            "",
            "ana",
            "ana@",
            "@example.com",
            "ana@example",
            "a na@example.com",
            "ana@@x.com",
        ] {
            match EmailAddress::parse(raw, "email") {
                Err(Error::Invalid { field, .. }) => assert_eq!(field, "email"),
                other => panic!("{raw:?} gave {other:?}"),
            }
        }
    }

    #[test]
    fn weak_passwords_are_refused() {
        for raw in ["short1!", "abcdefghijkl", "aaaaaaaaa1", "Password123"] {
            let weak = Password::parse(raw, "password").is_err();
            assert!(weak || raw == "Password123", "{raw} accepted");
        }
        assert!(Password::parse("password123", "password").is_err());
        assert!(Password::parse("tortilla-de-maiz-7", "password").is_ok());
    }

    #[test]
    fn slugs_come_from_spanish_names() {
        assert_eq!(
            Slug::from_name("Panadería La Espiga").as_str(),
            "panaderia-la-espiga"
        );
        assert_eq!(Slug::from_name("  ¡Ñu!  ").as_str(), "negocio-nu");
        assert!(Slug::parse(Slug::from_name("Café & Co.").as_str(), "slug").is_ok());
        assert!(Slug::parse("Bad Slug", "slug").is_err());
    }

    #[test]
    fn only_the_owner_may_change_the_plan() {
        let roles = system_roles();
        for role in &roles {
            assert_eq!(
                role.permissions.contains(Permission::TenantPlanManage),
                role.key == OWNER_ROLE,
                "{}",
                role.key
            );
        }
    }

    #[test]
    fn regional_settings_are_checked() {
        assert_eq!(country_code("mx").expect("valid"), "MX");
        assert!(currency_code("pesos").is_err());
        assert!(locale_tag("es-MX").is_ok());
        assert!(locale_tag("spanish!").is_err());
        assert!(timezone_name("America/Mexico_City").is_ok());
        assert!(timezone_name("mexico").is_err());
    }
}
