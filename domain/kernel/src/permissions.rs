//! The permission catalogue. Roles hold permission keys; use cases check them.

use std::collections::BTreeSet;

macro_rules! catalogue {
    ($($variant:ident => $key:literal : $description:literal,)*) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Permission { $($variant),* }

        impl Permission {
            pub const ALL: &'static [Permission] = &[$(Permission::$variant),*];

            pub fn key(self) -> &'static str {
                match self { $(Permission::$variant => $key),* }
            }

            pub fn description(self) -> &'static str {
                match self { $(Permission::$variant => $description),* }
            }

            pub fn parse(key: &str) -> Option<Self> {
                match key { $($key => Some(Permission::$variant),)* _ => None }
            }
        }
    };
}

catalogue! {
    TenantSettingsWrite => "tenant.settings.write": "Change the business's settings",
    TenantPlanManage => "tenant.plan.manage": "Change the subscription plan",
    UsersRead => "users.read": "See members, roles and invitations",
    UsersWrite => "users.write": "Invite, suspend and remove members; assign roles",
    RolesWrite => "roles.write": "Create, edit and delete custom roles",
    ApiKeysWrite => "api_keys.write": "Create and revoke API keys",
    AuditRead => "audit.read": "Read the audit log",
    JobsAdmin => "jobs.admin": "See, retry and cancel background jobs",
    WebhooksWrite => "webhooks.write": "Manage outgoing webhook endpoints",
    CrmContactsRead => "crm.contacts.read": "See contacts and companies",
    CrmContactsWrite => "crm.contacts.write": "Create, edit and merge contacts and companies",
    CrmLeadsRead => "crm.leads.read": "See leads and pipelines",
    CrmLeadsWrite => "crm.leads.write": "Create and move leads",
    CrmProposalsWrite => "crm.proposals.write": "Create and send proposals",
    CommerceRead => "commerce.read": "See products, stock, registers, tickets and orders",
    CommerceWrite => "commerce.write": "Manage products, locations, registers and orders; receive and transfer stock",
    PosOperate => "pos.operate": "Open a cash session at a register and sell and return there",
    InventoryAdjust => "inventory.adjust": "Adjust stock and record waste",
    BillingInvoicesRead => "billing.invoices.read": "See invoices and payments",
    BillingInvoicesWrite => "billing.invoices.write": "Issue and cancel invoices",
    BillingPaymentsWrite => "billing.payments.write": "Record payments and refunds",
    MessagingRead => "messaging.read": "Read conversations",
    MessagingWrite => "messaging.write": "Reply to conversations and manage channels",
    CampaignsWrite => "campaigns.write": "Create segments, templates and campaigns",
    CampaignsSend => "campaigns.send": "Start, pause and cancel campaign sends",
    IotRead => "iot.read": "See devices, telemetry and alerts",
    IotWrite => "iot.write": "Manage devices, rules and alerts",
    SchedulingRead => "scheduling.read": "See bookings and availability",
    SchedulingWrite => "scheduling.write": "Manage services, staff, bookings and events",
    SchedulingOwn => "scheduling.own": "See your own schedule and pay statements",
    PayrollManage => "payroll.manage": "Set pay rules; compute, approve and pay payroll periods",
    FilesUpload => "files.upload": "Upload files",
    FilesDownload => "files.download": "Download files",
    AutomationWrite => "automation.write": "Manage workflows",
    AnalyticsRead => "analytics.read": "See dashboards and reports",
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PermissionSet(BTreeSet<Permission>);

impl PermissionSet {
    pub fn all() -> Self {
        Self(Permission::ALL.iter().copied().collect())
    }

    pub fn contains(&self, permission: Permission) -> bool {
        self.0.contains(&permission)
    }

    pub fn is_subset(&self, other: &PermissionSet) -> bool {
        self.0.is_subset(&other.0)
    }

    pub fn intersection(&self, other: &PermissionSet) -> PermissionSet {
        Self(self.0.intersection(&other.0).copied().collect())
    }

    pub fn iter(&self) -> impl Iterator<Item = Permission> + '_ {
        self.0.iter().copied()
    }

    /// Reads stored keys, skipping ones the catalogue no longer has.
    pub fn from_json(value: &serde_json::Value) -> Self {
        Self(
            value
                .as_array()
                .map(|keys| {
                    keys.iter()
                        .filter_map(|k| k.as_str().and_then(Permission::parse))
                        .collect()
                })
                .unwrap_or_default(),
        )
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Array(self.0.iter().map(|p| p.key().into()).collect())
    }
}

impl FromIterator<Permission> for PermissionSet {
    fn from_iter<I: IntoIterator<Item = Permission>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_parses_back_to_its_permission() {
        for p in Permission::ALL {
            assert_eq!(Permission::parse(p.key()), Some(*p));
        }
    }

    #[test]
    fn stored_json_round_trips_and_drops_unknown_keys() {
        let set: PermissionSet = [Permission::UsersRead, Permission::AuditRead]
            .into_iter()
            .collect();
        let mut json = set.to_json();
        json.as_array_mut()
            .expect("array")
            .push("no.such.permission".into());
        assert_eq!(PermissionSet::from_json(&json), set);
    }
}
