//! Per-request DataLoaders: a relation field asks its loader, which batches every key the
//! request needs into one call, so nested lists cost a fixed number of statements.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use tianguis_domain::tenancy::{members, roles};
use tianguis_domain::{Deps, TenantCtx};
use tianguis_domain::{automation, billing, commerce, crm, iot, marketing, messaging, scheduling};
use uuid::Uuid;

use super::error::to_graphql;

/// Loaders are built per request for one caller, so batches never mix tenants.
#[derive(Clone)]
pub struct CallerScope {
    deps: Deps,
    ctx: Arc<TenantCtx>,
}

impl CallerScope {
    pub fn new(deps: &Deps, ctx: &TenantCtx) -> Self {
        Self {
            deps: deps.clone(),
            ctx: Arc::new(ctx.clone()),
        }
    }
}

/// A loader that can be built for a caller on the spot.
pub trait Scoped {
    fn for_caller(scope: CallerScope) -> Self;
}

/// A request's loader. Its cache also holds what a list resolver read ahead for its
/// children ([`feed`]), so those children cost no statement of their own.
pub type Loaded<L> = DataLoader<L, HashMapCache>;

/// Declares a loader that hands a batch of keys to one domain function of the caller.
macro_rules! loaders {
    ($($name:ident: $value:ty => $load:path,)*) => {
        $(
            pub struct $name(CallerScope);

            impl Scoped for $name {
                fn for_caller(scope: CallerScope) -> Self {
                    Self(scope)
                }
            }

            impl Loader<Uuid> for $name {
                type Value = $value;
                type Error = async_graphql::Error;

                async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
                    $load(&self.0.deps, &self.0.ctx, keys).await.map_err(to_graphql)
                }
            }
        )*

        /// Adds the caller's loaders to a request's data.
        pub fn register(data: &mut async_graphql::Data, deps: &Deps, ctx: &TenantCtx) {
            let scope = CallerScope::new(deps, ctx);
            $(data.insert(Loaded::with_cache($name(scope.clone()), tokio::spawn, HashMapCache::default()));)*
        }
    };
}

loaders! {
    UserLoader: members::User => members::users_by_ids,
    RoleLoader: roles::Role => roles::by_ids,
    ContactLoader: crm::contacts::Contact => crm::contacts::by_ids,
    CompanyLoader: crm::companies::Company => crm::companies::by_ids,
    LeadLoader: crm::leads::Lead => crm::leads::by_ids,
    StageLoader: crm::pipelines::Stage => crm::pipelines::stages_by_ids,
    PipelineStagesLoader: Vec<crm::pipelines::Stage> => crm::pipelines::stages_of,
    StageHistoryLoader: Vec<crm::leads::StageChange> => crm::leads::stage_history,
    RecentActivitiesLoader: Vec<crm::activities::Activity> => crm::activities::recent_for_leads,
    LeadProposalsLoader: Vec<crm::proposals::Proposal> => crm::proposals::of_leads,
    ProposalItemsLoader: Vec<crm::proposals::ProposalItem> => crm::proposals::items_of,
    InvoiceItemsLoader: Vec<billing::invoices::InvoiceItem> => billing::invoices::items_of,
    InvoicePaymentsLoader: Vec<billing::payments::Payment> => billing::payments::of_invoices,
    InvoiceInstallmentsLoader: Vec<billing::installments::Installment> => billing::installments::of_invoices,
    DeviceProfileLoader: iot::devices::DeviceProfile => iot::devices::profiles_by_ids,
    LatestTelemetryLoader: Vec<iot::telemetry::LatestValue> => iot::telemetry::latest_of,
    DeviceLoader: iot::devices::Device => iot::devices::by_ids,
    AlertRuleLoader: iot::alerts::AlertRule => iot::alerts::rules_by_ids,
    OpenAlertsLoader: Vec<iot::alerts::Alert> => iot::alerts::open_by_device,
    ChannelLoader: messaging::channels::Channel => messaging::channels::by_ids,
    ConversationLoader: messaging::conversations::Conversation => messaging::conversations::by_ids,
    MessageLoader: messaging::messages::Message => messaging::messages::by_ids,
    TemplateLoader: messaging::templates::Template => messaging::templates::by_ids,
    TemplateVersionsLoader: Vec<messaging::templates::TemplateVersion> => messaging::templates::versions_of,
    OptOutsLoader: Vec<messaging::ChannelKind> => messaging::channels::opt_outs_of,
    SegmentLoader: marketing::segments::Segment => marketing::segments::by_ids,
    CampaignMetricsLoader: marketing::campaigns::Metrics => marketing::campaigns::metrics,
    CategoryLoader: commerce::catalog::Category => commerce::catalog::categories_by_ids,
    ProductLoader: commerce::catalog::Product => commerce::catalog::products_by_ids,
    VariantLoader: commerce::catalog::Variant => commerce::catalog::variants_by_ids,
    ProductVariantsLoader: Vec<commerce::catalog::Variant> => commerce::catalog::variants_of,
    VariantStockLoader: Vec<commerce::stock::StockLevel> => commerce::stock::levels_of,
    LocationLoader: commerce::stock::Location => commerce::stock::locations_by_ids,
    RegisterLoader: commerce::pos::Register => commerce::pos::registers_by_ids,
    SessionExpectedLoader: commerce::pos::ByMethod => commerce::pos::expected_by_sessions,
    TicketLinesLoader: Vec<commerce::pos::TicketLine> => commerce::pos::lines_of,
    TicketPaymentsLoader: Vec<commerce::pos::TicketPayment> => commerce::pos::payments_of,
    SupplierLoader: commerce::purchasing::Supplier => commerce::purchasing::suppliers_by_ids,
    SupplierPayableLoader: tianguis_domain::money::Money => commerce::purchasing::payables_of,
    PurchaseOrderLinesLoader: Vec<commerce::purchasing::PurchaseOrderLine> => commerce::purchasing::lines_of,
    PriceListItemsLoader: Vec<commerce::price_lists::PriceListItem> => commerce::price_lists::items_of,
    ServiceLoader: scheduling::setup::Service => scheduling::setup::services_by_ids,
    ServicePerformersLoader: Vec<Uuid> => scheduling::setup::performers_of,
    ResourceLoader: scheduling::setup::Resource => scheduling::setup::resources_by_ids,
    ClientNameLoader: String => scheduling::setup::client_names,
    WorkingHoursLoader: Vec<scheduling::setup::WorkingHours> => scheduling::setup::hours_of,
    EventLoader: scheduling::events::Event => scheduling::events::by_ids,
    EventStaffLoader: Vec<scheduling::events::EventStaff> => scheduling::events::staff_of,
    EventEquipmentLoader: Vec<scheduling::events::EventEquipment> => scheduling::events::equipment_of,
    EventPaymentsLoader: Vec<scheduling::events::EventPayment> => scheduling::events::payments_of,
    EventTasksLoader: Vec<scheduling::events::EventTask> => scheduling::events::tasks_of,
    PayrollLinesLoader: Vec<scheduling::payroll::PayLine> => scheduling::payroll::lines_of,
    AppointmentRemindersLoader: Vec<scheduling::reminders::Reminder> => scheduling::reminders::of_appointments,
    SalesOrderLinesLoader: Vec<commerce::orders::SalesOrderLine> => commerce::orders::lines_of,
    SalesOrderPaymentsLoader: Vec<commerce::orders::SalesOrderPayment> => commerce::orders::payments_of,
    WorkflowRunStepsLoader: Vec<automation::workflows::runs::RunStep> => automation::workflows::runs::steps_of,
}

/// Loads `key` through the request's loader `L`, batched with every other key asked for
/// at the same time.
pub async fn load<L>(
    ctx: &async_graphql::Context<'_>,
    key: Uuid,
) -> async_graphql::Result<Option<L::Value>>
where
    L: Loader<Uuid, Error = async_graphql::Error> + Scoped,
{
    if let Some(loader) = ctx.data_opt::<Loaded<L>>() {
        return loader.load_one(key).await;
    }
    // A WebSocket connection keeps only its caller: each live event reads fresh data rather
    // than what a connection-long cache saw hours ago.
    let scope = ctx.data::<CallerScope>()?.clone();
    Ok(L::for_caller(scope).load(&[key]).await?.remove(&key))
}

/// Loads several keys through `L` in one batch, in the order given; keys without a record
/// are left out.
pub async fn load_many<L>(
    ctx: &async_graphql::Context<'_>,
    keys: &[Uuid],
) -> async_graphql::Result<Vec<L::Value>>
where
    L: Loader<Uuid, Error = async_graphql::Error> + Scoped,
{
    let mut found = match ctx.data_opt::<Loaded<L>>() {
        Some(loader) => loader.load_many(keys.iter().copied()).await?,
        None => {
            let scope = ctx.data::<CallerScope>()?.clone();
            L::for_caller(scope).load(keys).await?
        }
    };
    Ok(keys.iter().filter_map(|key| found.remove(key)).collect())
}

/// Puts records read ahead into the request's loader `L`.
pub async fn feed<L>(
    ctx: &async_graphql::Context<'_>,
    values: impl IntoIterator<Item = (Uuid, L::Value)>,
) -> async_graphql::Result<()>
where
    L: Loader<Uuid, Error = async_graphql::Error> + Scoped,
{
    if let Some(loader) = ctx.data_opt::<Loaded<L>>() {
        loader.feed_many(values).await;
    }
    Ok(())
}

/// As [`load`], for a key that may be absent.
pub async fn load_opt<L>(
    ctx: &async_graphql::Context<'_>,
    key: Option<Uuid>,
) -> async_graphql::Result<Option<L::Value>>
where
    L: Loader<Uuid, Error = async_graphql::Error> + Scoped,
{
    match key {
        Some(key) => load::<L>(ctx, key).await,
        None => Ok(None),
    }
}
