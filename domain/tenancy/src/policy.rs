//! Pure tenancy rules: passwords, slugs and the system roles.

use crate::{Error, Permission, PermissionSet, Result};

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
        CommerceRead,
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
                CommerceWrite,
                PosOperate,
                InventoryAdjust,
                BillingInvoicesWrite,
                BillingPaymentsWrite,
                MessagingWrite,
                CampaignsWrite,
                CampaignsSend,
                IotWrite,
                SchedulingWrite,
                PayrollManage,
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
                CommerceWrite,
                PosOperate,
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
            key: "cashier",
            name: "Cashier",
            description: "Sells at a register in their own cash session",
            permissions: [PosOperate].into_iter().collect(),
        },
        SystemRole {
            key: "staff",
            name: "Staff",
            description: "Sees their own schedule and pay statements",
            permissions: [SchedulingOwn].into_iter().collect(),
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
                CommerceRead,
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
}
