//! Marketing: segments of contacts chosen by rules, and campaigns sent to them in batches
//! with delivery, open and click tracking and one-click unsubscribe.

pub mod campaigns;
pub mod segments;
pub mod tracking;
