//! Marketing: segments, campaigns and their recipients.

pub mod campaign_recipients;
pub mod campaigns;
pub mod segment_members;
pub mod segments;

crate::tenant_owned!(campaign_recipients, campaigns, segment_members, segments);
