//! CRM's public events: what other contexts may react to, typed, so that no consumer matches
//! an event by its spelling or parses its subject.

use tianguis_kernel::events::DomainEvent;
use uuid::Uuid;

pub const PROPOSAL_ACCEPTED: &str = "crm.proposal.accepted";

/// An event of CRM's that other contexts consume.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CrmEvent {
    /// A customer accepted a proposal on its public page.
    ProposalAccepted { proposal_id: Uuid },
}

impl CrmEvent {
    /// The CRM event `event` is, if it is one other contexts consume.
    pub fn parse(event: &DomainEvent) -> Option<Self> {
        let id = || {
            event
                .subject
                .as_deref()
                .and_then(|s| s.split_once('/'))
                .and_then(|(_, id)| Uuid::parse_str(id).ok())
        };
        match event.event_type.as_str() {
            PROPOSAL_ACCEPTED => id().map(|proposal_id| Self::ProposalAccepted { proposal_id }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(event_type: &str, subject: Option<String>) -> DomainEvent {
        DomainEvent {
            id: Uuid::now_v7(),
            tenant_id: Uuid::now_v7(),
            event_type: event_type.to_owned(),
            source: "/tianguis".into(),
            subject,
            time: chrono::DateTime::UNIX_EPOCH,
            data: serde_json::Value::Null,
            caused_by_run: None,
        }
    }

    #[test]
    fn an_accepted_proposal_names_its_proposal() {
        let proposal_id = Uuid::now_v7();
        assert_eq!(
            CrmEvent::parse(&event(
                PROPOSAL_ACCEPTED,
                Some(format!("proposal/{proposal_id}"))
            )),
            Some(CrmEvent::ProposalAccepted { proposal_id })
        );
    }

    #[test]
    fn other_events_and_malformed_subjects_are_not_crm_events() {
        assert_eq!(
            CrmEvent::parse(&event("crm.proposal.sent", Some("proposal/x".into()))),
            None
        );
        assert_eq!(
            CrmEvent::parse(&event(PROPOSAL_ACCEPTED, Some("proposal/nope".into()))),
            None
        );
        assert_eq!(CrmEvent::parse(&event(PROPOSAL_ACCEPTED, None)), None);
    }
}
