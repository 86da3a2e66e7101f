//! GraphQL object types of the CRM. Each wraps the domain's record; relations load through
//! the request's DataLoaders.

use async_graphql::{Context, Enum, ID, Json, Object, SimpleObject, Union};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use tianguis_domain::crm::{
    self, activities, companies, contacts, leads, pipelines, proposals, timeline,
};
use tianguis_domain::pricing;
use uuid::Uuid;

use crate::graphql::context::{deps, tenant};
use crate::graphql::error::GqlResult;
use crate::graphql::loaders::{
    CompanyLoader, ContactLoader, LeadLoader, LeadProposalsLoader, OptOutsLoader,
    PipelineStagesLoader, ProposalItemsLoader, RecentActivitiesLoader, StageHistoryLoader,
    StageLoader, UserLoader, load, load_opt,
};
use crate::graphql::tenancy::types::User;

/// An exact amount of money: a decimal string and an ISO 4217 currency.
#[derive(SimpleObject, Clone)]
pub struct Money {
    pub amount: Decimal,
    pub currency: String,
}

impl From<tianguis_domain::money::Money> for Money {
    fn from(m: tianguis_domain::money::Money) -> Self {
        Self {
            amount: m.amount(),
            currency: m.currency,
        }
    }
}

pub(crate) fn money(minor: i64, currency: &str) -> Money {
    tianguis_domain::money::Money::new(minor, currency).into()
}

pub(crate) async fn user(
    ctx: &Context<'_>,
    id: Option<Uuid>,
) -> async_graphql::Result<Option<User>> {
    Ok(load_opt::<UserLoader>(ctx, id).await?.map(User::from))
}

const TIMELINE_DEFAULT: i32 = 50;

async fn timeline_of(
    ctx: &Context<'_>,
    subject: timeline::Subject,
    limit: Option<i32>,
    before: Option<DateTime<Utc>>,
) -> async_graphql::Result<Vec<TimelineEntry>> {
    let limit = limit.unwrap_or(TIMELINE_DEFAULT).max(1) as u64;
    let entries = timeline::entries(deps(ctx)?, tenant(ctx)?, subject, before, limit)
        .await
        .gql()?;
    Ok(entries
        .into_iter()
        .filter_map(TimelineEntry::from_domain)
        .collect())
}

pub struct Contact(pub contacts::Contact);

#[Object]
impl Contact {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn first_name(&self) -> &str {
        &self.0.first_name
    }
    async fn last_name(&self) -> &str {
        &self.0.last_name
    }
    /// First and last name.
    async fn name(&self) -> String {
        format!("{} {}", self.0.first_name, self.0.last_name)
            .trim()
            .to_owned()
    }
    /// Lower-case.
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    /// E.164, such as +525512345678.
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }
    async fn rfc(&self) -> Option<&str> {
        self.0.rfc.as_deref()
    }
    async fn job_title(&self) -> Option<&str> {
        self.0.job_title.as_deref()
    }
    async fn city(&self) -> Option<&str> {
        self.0.city.as_deref()
    }
    async fn tags(&self) -> Vec<String> {
        tianguis_domain::rules::tags_of(&self.0.tags)
    }
    /// Values of the business's custom fields, by key.
    async fn custom_fields(&self) -> Json<serde_json::Value> {
        Json(self.0.custom_fields.clone())
    }
    /// True once a lead of theirs was won.
    async fn is_customer(&self) -> bool {
        self.0.is_customer
    }
    async fn customer_since(&self) -> Option<DateTime<Utc>> {
        self.0.customer_since
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    async fn company(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Company>> {
        Ok(load_opt::<CompanyLoader>(ctx, self.0.company_id)
            .await?
            .map(Company))
    }
    async fn owner(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        user(ctx, self.0.owner_id).await
    }
    /// The kinds of channel the contact asked not to be messaged on.
    async fn messaging_opt_outs(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<crate::graphql::messaging::ChannelKind>> {
        Ok(load::<OptOutsLoader>(ctx, self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Into::into)
            .collect())
    }
    /// Activities, stage changes of their leads and proposals, newest first.
    async fn timeline(
        &self,
        ctx: &Context<'_>,
        limit: Option<i32>,
        before: Option<DateTime<Utc>>,
    ) -> async_graphql::Result<Vec<TimelineEntry>> {
        timeline_of(ctx, timeline::Subject::Contact(self.0.id), limit, before).await
    }
}

pub struct Company(pub companies::Company);

#[Object]
impl Company {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The legal name as registered with SAT (upper-case), used on invoices.
    async fn legal_name(&self) -> Option<&str> {
        self.0.legal_name.as_deref()
    }
    async fn rfc(&self) -> Option<&str> {
        self.0.rfc.as_deref()
    }
    /// SAT c_RegimenFiscal code.
    async fn tax_regime(&self) -> Option<&str> {
        self.0.tax_regime.as_deref()
    }
    /// The fiscal address's postal code.
    async fn postal_code(&self) -> Option<&str> {
        self.0.postal_code.as_deref()
    }
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }
    async fn website(&self) -> Option<&str> {
        self.0.website.as_deref()
    }
    async fn city(&self) -> Option<&str> {
        self.0.city.as_deref()
    }
    async fn tags(&self) -> Vec<String> {
        tianguis_domain::rules::tags_of(&self.0.tags)
    }
    async fn custom_fields(&self) -> Json<serde_json::Value> {
        Json(self.0.custom_fields.clone())
    }
    async fn is_customer(&self) -> bool {
        self.0.is_customer
    }
    async fn customer_since(&self) -> Option<DateTime<Utc>> {
        self.0.customer_since
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    async fn owner(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        user(ctx, self.0.owner_id).await
    }
    async fn timeline(
        &self,
        ctx: &Context<'_>,
        limit: Option<i32>,
        before: Option<DateTime<Utc>>,
    ) -> async_graphql::Result<Vec<TimelineEntry>> {
        timeline_of(ctx, timeline::Subject::Company(self.0.id), limit, before).await
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum CustomFieldEntity {
    Contact,
    Company,
    Lead,
}

impl From<CustomFieldEntity> for crm::custom_fields::FieldEntity {
    fn from(e: CustomFieldEntity) -> Self {
        match e {
            CustomFieldEntity::Contact => Self::Contact,
            CustomFieldEntity::Company => Self::Company,
            CustomFieldEntity::Lead => Self::Lead,
        }
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum CustomFieldKind {
    Text,
    Number,
    /// YYYY-MM-DD.
    Date,
    Boolean,
    /// One of the definition's options.
    Select,
}

impl From<CustomFieldKind> for crm::custom_fields::FieldKind {
    fn from(k: CustomFieldKind) -> Self {
        use crm::custom_fields::FieldKind as K;
        match k {
            CustomFieldKind::Text => K::Text,
            CustomFieldKind::Number => K::Number,
            CustomFieldKind::Date => K::Date,
            CustomFieldKind::Boolean => K::Boolean,
            CustomFieldKind::Select => K::Select,
        }
    }
}

pub struct CustomFieldDefinition(pub crm::custom_fields::CustomFieldDefinition);

#[Object]
impl CustomFieldDefinition {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn entity(&self) -> CustomFieldEntity {
        match self.0.entity.as_str() {
            "company" => CustomFieldEntity::Company,
            "lead" => CustomFieldEntity::Lead,
            _ => CustomFieldEntity::Contact,
        }
    }
    /// The key values are stored and filtered under.
    async fn key(&self) -> &str {
        &self.0.key
    }
    async fn label(&self) -> &str {
        &self.0.label
    }
    async fn kind(&self) -> CustomFieldKind {
        use crm::custom_fields::FieldKind as K;
        match K::parse(&self.0.kind) {
            K::Text => CustomFieldKind::Text,
            K::Number => CustomFieldKind::Number,
            K::Date => CustomFieldKind::Date,
            K::Boolean => CustomFieldKind::Boolean,
            K::Select => CustomFieldKind::Select,
        }
    }
    async fn options(&self) -> Vec<String> {
        crm::custom_fields::options_of(&self.0)
    }
    async fn required(&self) -> bool {
        self.0.required
    }
    async fn position(&self) -> i32 {
        self.0.position
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum StageOutcome {
    Open,
    Won,
    Lost,
}

impl From<StageOutcome> for pipelines::Outcome {
    fn from(o: StageOutcome) -> Self {
        match o {
            StageOutcome::Open => Self::Open,
            StageOutcome::Won => Self::Won,
            StageOutcome::Lost => Self::Lost,
        }
    }
}

fn outcome(key: &str) -> StageOutcome {
    match pipelines::Outcome::parse(key) {
        pipelines::Outcome::Open => StageOutcome::Open,
        pipelines::Outcome::Won => StageOutcome::Won,
        pipelines::Outcome::Lost => StageOutcome::Lost,
    }
}

pub struct Pipeline(pub pipelines::Pipeline);

#[Object]
impl Pipeline {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn is_default(&self) -> bool {
        self.0.is_default
    }
    /// In order.
    async fn stages(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Stage>> {
        Ok(load::<PipelineStagesLoader>(ctx, self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Stage)
            .collect())
    }
}

pub struct Stage(pub pipelines::Stage);

#[Object]
impl Stage {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn pipeline_id(&self) -> ID {
        self.0.pipeline_id.into()
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn position(&self) -> i32 {
        self.0.position
    }
    /// Win probability in percent.
    async fn probability(&self) -> i32 {
        self.0.probability
    }
    async fn outcome(&self) -> StageOutcome {
        outcome(&self.0.outcome)
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum LeadSource {
    Web,
    Referral,
    Whatsapp,
    Event,
    Ads,
    Other,
}

impl LeadSource {
    pub fn key(self) -> &'static str {
        match self {
            LeadSource::Web => "web",
            LeadSource::Referral => "referral",
            LeadSource::Whatsapp => "whatsapp",
            LeadSource::Event => "event",
            LeadSource::Ads => "ads",
            LeadSource::Other => "other",
        }
    }

    pub fn parse(key: &str) -> Self {
        [
            Self::Web,
            Self::Referral,
            Self::Whatsapp,
            Self::Event,
            Self::Ads,
        ]
        .into_iter()
        .find(|s| s.key() == key)
        .unwrap_or(Self::Other)
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum LeadStatus {
    Open,
    Won,
    Lost,
}

impl LeadStatus {
    pub fn key(self) -> &'static str {
        match self {
            LeadStatus::Open => "open",
            LeadStatus::Won => "won",
            LeadStatus::Lost => "lost",
        }
    }
}

/// Why a lead has its score.
#[derive(SimpleObject)]
pub struct ScoreReason {
    /// source, budget, engagement, recency or stage.
    pub rule: String,
    pub points: i32,
    pub detail: String,
}

pub struct Lead(pub leads::Lead);

#[Object]
impl Lead {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn source(&self) -> LeadSource {
        LeadSource::parse(&self.0.source)
    }
    async fn status(&self) -> LeadStatus {
        match self.0.status.as_str() {
            "won" => LeadStatus::Won,
            "lost" => LeadStatus::Lost,
            _ => LeadStatus::Open,
        }
    }
    /// Expected value.
    async fn value(&self) -> Money {
        money(self.0.value_minor, &self.0.currency)
    }
    async fn expected_close_on(&self) -> Option<NaiveDate> {
        self.0.expected_close_on
    }
    async fn next_follow_up_at(&self) -> Option<DateTime<Utc>> {
        self.0.next_follow_up_at
    }
    async fn lost_reason(&self) -> Option<&str> {
        self.0.lost_reason.as_deref()
    }
    async fn tags(&self) -> Vec<String> {
        tianguis_domain::rules::tags_of(&self.0.tags)
    }
    async fn custom_fields(&self) -> Json<serde_json::Value> {
        Json(self.0.custom_fields.clone())
    }
    /// 0 to 100, from the business's scoring configuration.
    async fn score(&self) -> i32 {
        self.0.score
    }
    async fn score_reasons(&self) -> Vec<ScoreReason> {
        leads::reasons_of(&self.0)
            .into_iter()
            .map(|r| ScoreReason {
                rule: r.rule,
                points: r.points,
                detail: r.detail,
            })
            .collect()
    }
    async fn last_activity_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_activity_at
    }
    /// When it was won or lost.
    async fn closed_at(&self) -> Option<DateTime<Utc>> {
        self.0.closed_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    async fn contact(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Contact>> {
        Ok(load_opt::<ContactLoader>(ctx, self.0.contact_id)
            .await?
            .map(Contact))
    }
    async fn company(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Company>> {
        Ok(load_opt::<CompanyLoader>(ctx, self.0.company_id)
            .await?
            .map(Company))
    }
    async fn owner(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        user(ctx, self.0.owner_id).await
    }
    async fn stage(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Stage>> {
        Ok(load::<StageLoader>(ctx, self.0.stage_id).await?.map(Stage))
    }
    /// The latest activities (not tasks), newest first; at most 10.
    async fn recent_activities(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 3)] limit: i32,
    ) -> async_graphql::Result<Vec<Activity>> {
        let limit = limit.clamp(0, activities::RECENT_LIMIT as i32) as usize;
        Ok(load::<RecentActivitiesLoader>(ctx, self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .take(limit)
            .map(Activity)
            .collect())
    }
    /// Every stage the lead entered, oldest first.
    async fn stage_history(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<StageChange>> {
        Ok(load::<StageHistoryLoader>(ctx, self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(StageChange)
            .collect())
    }
    /// Newest first.
    async fn proposals(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Proposal>> {
        Ok(load::<LeadProposalsLoader>(ctx, self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Proposal)
            .collect())
    }
    async fn timeline(
        &self,
        ctx: &Context<'_>,
        limit: Option<i32>,
        before: Option<DateTime<Utc>>,
    ) -> async_graphql::Result<Vec<TimelineEntry>> {
        timeline_of(ctx, timeline::Subject::Lead(self.0.id), limit, before).await
    }
}

pub struct StageChange(pub leads::StageChange);

#[Object]
impl StageChange {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn lead_id(&self) -> ID {
        self.0.lead_id.into()
    }
    /// The stage the lead left; null when it was created.
    #[graphql(name = "fromStage")]
    async fn previous_stage(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Stage>> {
        Ok(load_opt::<StageLoader>(ctx, self.0.from_stage_id)
            .await?
            .map(Stage))
    }
    async fn to_stage(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Stage>> {
        Ok(load::<StageLoader>(ctx, self.0.to_stage_id)
            .await?
            .map(Stage))
    }
    /// user, api_key or system.
    async fn actor_type(&self) -> &str {
        &self.0.actor_type
    }
    async fn actor_id(&self) -> Option<ID> {
        self.0.actor_id.map(ID::from)
    }
    async fn changed_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum ActivityKind {
    Call,
    Email,
    Meeting,
    Whatsapp,
    Note,
    Task,
}

impl ActivityKind {
    pub fn key(self) -> &'static str {
        match self {
            ActivityKind::Call => "call",
            ActivityKind::Email => "email",
            ActivityKind::Meeting => "meeting",
            ActivityKind::Whatsapp => "whatsapp",
            ActivityKind::Note => "note",
            ActivityKind::Task => "task",
        }
    }

    pub fn parse(key: &str) -> Self {
        [
            Self::Call,
            Self::Email,
            Self::Meeting,
            Self::Whatsapp,
            Self::Task,
        ]
        .into_iter()
        .find(|k| k.key() == key)
        .unwrap_or(Self::Note)
    }
}

pub struct Activity(pub activities::Activity);

#[Object]
impl Activity {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn kind(&self) -> ActivityKind {
        ActivityKind::parse(&self.0.kind)
    }
    async fn subject(&self) -> &str {
        &self.0.subject
    }
    async fn body(&self) -> &str {
        &self.0.body
    }
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }
    /// Tasks only.
    async fn due_at(&self) -> Option<DateTime<Utc>> {
        self.0.due_at
    }
    async fn done_at(&self) -> Option<DateTime<Utc>> {
        self.0.done_at
    }
    /// An open task past its due date.
    async fn is_overdue(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        let now = deps(ctx)?.clock.now();
        Ok(self.0.kind == "task"
            && self.0.done_at.is_none()
            && self.0.due_at.is_some_and(|d| d < now))
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn lead(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Lead>> {
        Ok(load_opt::<LeadLoader>(ctx, self.0.lead_id).await?.map(Lead))
    }
    async fn contact(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Contact>> {
        Ok(load_opt::<ContactLoader>(ctx, self.0.contact_id)
            .await?
            .map(Contact))
    }
    async fn company(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Company>> {
        Ok(load_opt::<CompanyLoader>(ctx, self.0.company_id)
            .await?
            .map(Company))
    }
    async fn author(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        user(ctx, self.0.author_id).await
    }
    async fn assignee(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        user(ctx, self.0.assignee_id).await
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum ProposalStatus {
    Draft,
    Sent,
    Viewed,
    Accepted,
    Rejected,
    Expired,
}

impl From<ProposalStatus> for proposals::Status {
    fn from(s: ProposalStatus) -> Self {
        match s {
            ProposalStatus::Draft => Self::Draft,
            ProposalStatus::Sent => Self::Sent,
            ProposalStatus::Viewed => Self::Viewed,
            ProposalStatus::Accepted => Self::Accepted,
            ProposalStatus::Rejected => Self::Rejected,
            ProposalStatus::Expired => Self::Expired,
        }
    }
}

impl From<proposals::Status> for ProposalStatus {
    fn from(s: proposals::Status) -> Self {
        use proposals::Status as S;
        match s {
            S::Draft => Self::Draft,
            S::Sent => Self::Sent,
            S::Viewed => Self::Viewed,
            S::Accepted => Self::Accepted,
            S::Rejected => Self::Rejected,
            S::Expired => Self::Expired,
        }
    }
}

/// The IVA of a line.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum TaxRate {
    /// 16 %.
    Iva16,
    /// 8 %, northern and southern border region.
    Iva8,
    /// 0 %.
    Iva0,
    /// Exempt.
    Exempt,
}

impl From<TaxRate> for pricing::Tax {
    fn from(t: TaxRate) -> Self {
        match t {
            TaxRate::Iva16 => Self::Iva16,
            TaxRate::Iva8 => Self::Iva8,
            TaxRate::Iva0 => Self::Iva0,
            TaxRate::Exempt => Self::Exempt,
        }
    }
}

impl From<pricing::Tax> for TaxRate {
    fn from(t: pricing::Tax) -> Self {
        match t {
            pricing::Tax::Iva16 => Self::Iva16,
            pricing::Tax::Iva8 => Self::Iva8,
            pricing::Tax::Iva0 => Self::Iva0,
            pricing::Tax::Exempt => Self::Exempt,
        }
    }
}

/// A tax the customer withholds.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum Withholding {
    /// IVA, two thirds: 10.6667 %.
    IvaTwoThirds,
    /// IVA on freight: 4 %.
    IvaFreight,
    /// ISR on fees and rent: 10 %.
    Isr10,
    /// ISR, simplified trust regime (RESICO): 1.25 %.
    IsrResico,
}

impl From<Withholding> for pricing::Withholding {
    fn from(w: Withholding) -> Self {
        match w {
            Withholding::IvaTwoThirds => Self::IvaTwoThirds,
            Withholding::IvaFreight => Self::IvaFreight,
            Withholding::Isr10 => Self::Isr10,
            Withholding::IsrResico => Self::IsrResico,
        }
    }
}

impl From<pricing::Withholding> for Withholding {
    fn from(w: pricing::Withholding) -> Self {
        match w {
            pricing::Withholding::IvaTwoThirds => Self::IvaTwoThirds,
            pricing::Withholding::IvaFreight => Self::IvaFreight,
            pricing::Withholding::Isr10 => Self::Isr10,
            pricing::Withholding::IsrResico => Self::IsrResico,
        }
    }
}

pub struct Proposal(pub proposals::Proposal);

#[Object]
impl Proposal {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    /// Gapless per business and series, such as COT-2026-0001.
    async fn number(&self) -> &str {
        &self.0.number
    }
    async fn series(&self) -> &str {
        &self.0.series
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn status(&self) -> ProposalStatus {
        proposals::Status::parse(&self.0.status).into()
    }
    async fn currency(&self) -> &str {
        &self.0.currency
    }
    async fn valid_until(&self) -> NaiveDate {
        self.0.valid_until
    }
    async fn notes(&self) -> &str {
        &self.0.notes
    }
    /// Sum of quantity × unit price.
    async fn subtotal(&self) -> Money {
        money(self.0.subtotal_minor, &self.0.currency)
    }
    async fn discount(&self) -> Money {
        money(self.0.discount_minor, &self.0.currency)
    }
    /// IVA transferred.
    async fn tax(&self) -> Money {
        money(self.0.tax_minor, &self.0.currency)
    }
    /// Taxes withheld by the customer.
    async fn withheld(&self) -> Money {
        money(self.0.withheld_minor, &self.0.currency)
    }
    /// Subtotal − discount + tax − withheld.
    async fn total(&self) -> Money {
        money(self.0.total_minor, &self.0.currency)
    }
    async fn recipient_email(&self) -> Option<&str> {
        self.0.recipient_email.as_deref()
    }
    /// How often the public page was opened.
    async fn view_count(&self) -> i32 {
        self.0.view_count
    }
    async fn sent_at(&self) -> Option<DateTime<Utc>> {
        self.0.sent_at
    }
    async fn first_viewed_at(&self) -> Option<DateTime<Utc>> {
        self.0.first_viewed_at
    }
    /// When it was accepted, rejected or expired.
    async fn decided_at(&self) -> Option<DateTime<Utc>> {
        self.0.decided_at
    }
    /// The name the customer accepted with.
    async fn accepted_by(&self) -> Option<&str> {
        self.0.accepted_by.as_deref()
    }
    /// The Stripe Checkout page where the customer pays the accepted proposal, once asked
    /// for with `createProposalCheckoutLink`.
    async fn checkout_url(&self) -> Option<&str> {
        self.0.checkout_url.as_deref()
    }
    /// When the customer paid it by card.
    async fn paid_at(&self) -> Option<DateTime<Utc>> {
        self.0.paid_at
    }
    async fn rejection_reason(&self) -> Option<&str> {
        self.0.rejection_reason.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn items(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ProposalItem>> {
        Ok(load::<ProposalItemsLoader>(ctx, self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(|i| ProposalItem(i, self.0.currency.clone()))
            .collect())
    }
    async fn lead(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Lead>> {
        Ok(load_opt::<LeadLoader>(ctx, self.0.lead_id).await?.map(Lead))
    }
    async fn contact(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Contact>> {
        Ok(load_opt::<ContactLoader>(ctx, self.0.contact_id)
            .await?
            .map(Contact))
    }
    async fn company(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Company>> {
        Ok(load_opt::<CompanyLoader>(ctx, self.0.company_id)
            .await?
            .map(Company))
    }
    async fn created_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        user(ctx, self.0.created_by).await
    }
}

/// A line of a proposal, in its proposal's currency.
pub struct ProposalItem(pub proposals::ProposalItem, pub String);

#[Object]
impl ProposalItem {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn position(&self) -> i32 {
        self.0.position
    }
    /// The catalogue product the line is for, if any.
    async fn product_id(&self) -> Option<ID> {
        self.0.product_id.map(ID::from)
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    async fn quantity(&self) -> Decimal {
        self.0.quantity.parse().unwrap_or_default()
    }
    async fn unit_price(&self) -> Decimal {
        self.0.unit_price.parse().unwrap_or_default()
    }
    async fn discount(&self) -> Money {
        money(self.0.discount_minor, &self.1)
    }
    /// Quantity × unit price, rounded to the currency.
    async fn amount(&self) -> Money {
        money(self.0.amount_minor, &self.1)
    }
    /// IVA on the amount less the discount.
    async fn tax(&self) -> Money {
        money(self.0.tax_minor, &self.1)
    }
    async fn withheld(&self) -> Money {
        money(self.0.withheld_minor, &self.1)
    }
    async fn tax_rate(&self) -> TaxRate {
        pricing::Tax::parse(&self.0.tax)
            .unwrap_or(pricing::Tax::Exempt)
            .into()
    }
    async fn withholdings(&self) -> Vec<Withholding> {
        serde_json::from_value::<Vec<pricing::Withholding>>(self.0.withholdings.clone())
            .unwrap_or_default()
            .into_iter()
            .map(Withholding::from)
            .collect()
    }
}

/// One entry of a timeline.
#[derive(Union)]
pub enum TimelineEntry {
    Activity(Activity),
    StageChange(StageChange),
    Proposal(Box<Proposal>),
    Message(Box<crate::graphql::messaging::Message>),
}

impl TimelineEntry {
    /// The entry as GraphQL shows it; none for a kind of entry the schema does not know.
    fn from_domain(e: timeline::TimelineEntry) -> Option<Self> {
        use tianguis_domain::messaging::messages::TimelineMessage;
        Some(match e {
            timeline::TimelineEntry::Activity(a) => Self::Activity(Activity(a)),
            timeline::TimelineEntry::StageChange(c) => Self::StageChange(StageChange(c)),
            timeline::TimelineEntry::Proposal(p) => Self::Proposal(Box::new(Proposal(*p))),
            timeline::TimelineEntry::Other(o) => {
                let m = o.as_any().downcast_ref::<TimelineMessage>()?;
                Self::Message(Box::new(crate::graphql::messaging::Message(m.0.clone())))
            }
        })
    }
}
