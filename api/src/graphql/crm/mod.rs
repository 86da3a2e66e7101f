//! GraphQL of the CRM: contacts, companies, custom fields, pipelines, leads, activities,
//! proposals and the sales dashboard.

mod proposals;
pub(crate) mod records;
mod sales;
pub(crate) mod types;

use async_graphql::MergedObject;

#[derive(MergedObject, Default)]
pub struct CrmQuery(
    records::RecordsQuery,
    sales::SalesQuery,
    proposals::ProposalsQuery,
);

#[derive(MergedObject, Default)]
pub struct CrmMutation(
    records::RecordsMutation,
    sales::SalesMutation,
    proposals::ProposalsMutation,
);
