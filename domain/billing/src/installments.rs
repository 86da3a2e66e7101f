//! Interest-free installment plans (meses sin intereses): an invoice's balance split into 3,
//! 6, 9, 12 or 18 monthly installments with exact cents. Payments settle installments in
//! order; the daily job marks the ones past due and emails the receiver a reminder, once.

use std::collections::HashMap;

use chrono::{Months, NaiveDate};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
};
use tianguis_entity::billing::{installments, invoices};
use uuid::Uuid;

use super::invoices::{Invoice, Status as InvoiceStatus};
use crate::audit;
use crate::db::stamped;
use crate::db::{TenantTx, begin_system};
use crate::email;
use crate::rules::from_minor;
use crate::tenancy::tenants;
use crate::{Deps, Error, Permission, Result, TenantCtx};

pub type Installment = installments::Model;

/// The terms banks and card networks offer in Mexico.
pub const TERMS: &[u32] = &[3, 6, 9, 12, 18];

tianguis_kernel::stored_enum! {
    pub enum Status {
        Pending = "pending",
        Paid = "paid",
        /// Past its due date and not paid.
        Overdue = "overdue",
    }
}

/// One installment of a schedule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scheduled {
    pub number: u32,
    pub due: NaiveDate,
    pub amount: i64,
}

/// `months` installments of `total` minor units, due monthly from `first_due`. The cents
/// that do not divide evenly go one each to the first installments, so the installments
/// add up to the total exactly and differ by at most one cent. A day past a month's end
/// falls on its last day (31 January, then 28 or 29 February, then 31 March).
pub fn schedule(total: i64, months: u32, first_due: NaiveDate) -> Vec<Scheduled> {
    let n = i64::from(months.max(1));
    let (base, remainder) = (total / n, total % n);
    (0..months.max(1))
        .map(|i| Scheduled {
            number: i + 1,
            due: first_due
                .checked_add_months(Months::new(i))
                .unwrap_or(first_due),
            amount: base + i64::from(i64::from(i) < remainder),
        })
        .collect()
}

/// Each installment's status once `paid` has been received, on `today`: payments settle
/// installments in order.
pub fn statuses(installments: &[(i64, NaiveDate)], paid: i64, today: NaiveDate) -> Vec<Status> {
    let mut owed = 0;
    installments
        .iter()
        .map(|(amount, due)| {
            owed += amount;
            if owed <= paid {
                Status::Paid
            } else if *due < today {
                Status::Overdue
            } else {
                Status::Pending
            }
        })
        .collect()
}

/// Splits a stamped PPD invoice's balance into monthly installments.
pub async fn create_plan(
    deps: &Deps,
    ctx: &TenantCtx,
    invoice_id: Uuid,
    months: u32,
    first_due: Option<NaiveDate>,
) -> Result<Invoice> {
    ctx.require(Permission::BillingInvoicesWrite)?;
    if !TERMS.contains(&months) {
        return Err(Error::invalid(
            "months",
            "interest-free plans run 3, 6, 9, 12 or 18 months",
        ));
    }
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let today = tx.now().date_naive();
    let first_due =
        first_due.unwrap_or_else(|| today.checked_add_months(Months::new(1)).unwrap_or(today));
    if first_due < today {
        return Err(Error::invalid(
            "firstDueDate",
            "the first installment cannot be due in the past",
        ));
    }
    let invoice = tx.get::<invoices::Entity>(invoice_id, "invoice").await?;
    if InvoiceStatus::from_stored(&invoice.status)? != InvoiceStatus::Stamped {
        return Err(Error::conflict(
            "invoiceId",
            format!(
                "installments are for stamped invoices; this one is {}",
                invoice.status
            ),
        ));
    }
    if invoice.payment_method != "PPD" {
        return Err(Error::conflict(
            "invoiceId",
            "an invoice paid in installments is issued PPD (paid in parts or later)",
        ));
    }
    let balance = invoice.total_minor - invoice.paid_minor;
    if balance <= 0 {
        return Err(Error::conflict("invoiceId", "the invoice is paid"));
    }
    let existing = tx
        .select::<installments::Entity>()
        .filter(installments::Column::InvoiceId.eq(invoice_id))
        .one(&*tx)
        .await?;
    if existing.is_some() {
        return Err(Error::conflict(
            "invoiceId",
            "the invoice already has an installment plan",
        ));
    }
    let now = tx.now();
    // The plan covers what is owed now; what was paid before counts as settled.
    let plan = schedule(balance, months, first_due);
    let rows = plan.iter().map(|s| {
        stamped(
            now,
            installments::ActiveModel {
                id: Set(Uuid::now_v7()),
                tenant_id: Set(ctx.tenant_id),
                invoice_id: Set(invoice_id),
                number: Set(s.number as i32),
                months: Set(months as i32),
                due_date: Set(s.due),
                amount_minor: Set(s.amount),
                settled_before_minor: Set(invoice.paid_minor),
                status: Set(Status::Pending.key().into()),
                reminded_at: Set(None),
                ..Default::default()
            },
        )
    });
    installments::Entity::insert_many(rows).exec(&*tx).await?;
    audit::record(
        &mut tx,
        ctx,
        "billing.installment_plan.created",
        ("invoice", Some(invoice_id)),
        serde_json::json!({
            "months": months,
            "firstDueDate": first_due,
            "amount": from_minor(balance, &invoice.currency).to_string(),
            "currency": invoice.currency,
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(invoice)
}

/// Brings the invoice's installments in line with what it has been paid (`paid`, its
/// paid amount now) and today's date.
pub(crate) async fn settle(tx: &TenantTx, invoice_id: Uuid, paid: i64) -> Result<()> {
    let plan = tx
        .select::<installments::Entity>()
        .filter(installments::Column::InvoiceId.eq(invoice_id))
        .order_by_asc(installments::Column::Number)
        .all(&**tx)
        .await?;
    let Some(first) = plan.first() else {
        return Ok(());
    };
    let paid_into_plan = paid - first.settled_before_minor;
    let now = tx.now();
    let terms: Vec<(i64, NaiveDate)> = plan.iter().map(|i| (i.amount_minor, i.due_date)).collect();
    for (installment, status) in
        plan.into_iter()
            .zip(statuses(&terms, paid_into_plan, now.date_naive()))
    {
        if Status::from_stored(&installment.status)? != status {
            let mut model: installments::ActiveModel = installment.into();
            model.status = Set(status.key().into());
            tx.update(model).await?;
        }
    }
    Ok(())
}

/// The daily job's part: marks installments past due and reminds each receiver of each
/// unpaid one, once.
pub async fn mark_overdue(deps: &Deps) -> Result<usize> {
    let today = deps.clock.now().date_naive();
    let system = begin_system(&deps.db).await?;
    let due = installments::Entity::find()
        .filter(installments::Column::Status.ne(Status::Paid.key()))
        .filter(installments::Column::DueDate.lt(today))
        .filter(installments::Column::RemindedAt.is_null())
        .all(&system)
        .await?;
    system.commit().await?;
    let invoices: std::collections::BTreeSet<(Uuid, Uuid)> =
        due.iter().map(|i| (i.tenant_id, i.invoice_id)).collect();
    let mut reminded = 0;
    for (tenant_id, invoice_id) in invoices {
        let ctx = TenantCtx::system(tenant_id);
        let mut tx = TenantTx::begin(deps, tenant_id).await?;
        let invoice = tx.get::<invoices::Entity>(invoice_id, "invoice").await?;
        settle(&tx, invoice_id, invoice.paid_minor).await?;
        let unreminded = tx
            .select::<installments::Entity>()
            .filter(installments::Column::InvoiceId.eq(invoice_id))
            .filter(installments::Column::Status.eq(Status::Overdue.key()))
            .filter(installments::Column::RemindedAt.is_null())
            .order_by_asc(installments::Column::Number)
            .all(&*tx)
            .await?;
        for installment in unreminded {
            remind(&mut tx, &ctx, &invoice, installment).await?;
            reminded += 1;
        }
        tx.commit().await?;
    }
    Ok(reminded)
}

async fn remind(
    tx: &mut TenantTx,
    ctx: &TenantCtx,
    invoice: &Invoice,
    installment: Installment,
) -> Result<()> {
    let amount = format!(
        "{} {}",
        from_minor(installment.amount_minor, &invoice.currency),
        invoice.currency
    );
    let data = serde_json::json!({
        "invoiceId": invoice.id,
        "number": installment.number,
        "months": installment.months,
        "dueDate": installment.due_date,
        "amount": from_minor(installment.amount_minor, &invoice.currency).to_string(),
    });
    if let Some(to) = &invoice.receiver_email {
        let (branding, locale) = tenants::branding(&**tx, invoice.tenant_id).await?;
        let invoice_number = format!("{}-{}", invoice.series, invoice.folio);
        let job = email::queue(
            &**tx,
            email::NewEmail {
                at: tx.now(),
                tenant_id: Some(invoice.tenant_id),
                to,
                locale: &locale,
                branding: &branding,
                template: &crate::emails::InstallmentOverdue {
                    invoice: &invoice_number,
                    number: installment.number as u32,
                    months: installment.months as u32,
                    amount: &amount,
                    due_date: installment.due_date,
                    pay_link: invoice.checkout_url.as_deref(),
                },
            },
        )
        .await?;
        tx.enqueue_after_commit(job).await?;
    }
    let mut model: installments::ActiveModel = installment.into();
    model.reminded_at = Set(Some(tx.now()));
    model.update(&**tx).await?;
    audit::record(
        tx,
        ctx,
        "billing.installment.overdue",
        ("invoice", Some(invoice.id)),
        data,
    )
    .await
}

/// Each invoice's installments in order: one statement per batch.
pub async fn of_invoices(
    deps: &Deps,
    ctx: &TenantCtx,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<Installment>>> {
    ctx.require(Permission::BillingInvoicesRead)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let found = tx
        .select::<installments::Entity>()
        .filter(installments::Column::InvoiceId.is_in(ids.iter().copied()))
        .order_by_asc(installments::Column::Number)
        .all(&*tx)
        .await?;
    tx.commit().await?;
    Ok(crate::page::group_by(found, |i| Some(i.invoice_id)))
}

#[cfg(test)]
mod tests {
    use chrono::Datelike;

    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    #[test]
    fn the_cents_that_do_not_divide_go_to_the_first_installments() {
        let plan = schedule(1_388_000, 3, date("2027-01-31"));
        let amounts: Vec<i64> = plan.iter().map(|s| s.amount).collect();
        assert_eq!(amounts, [462_667, 462_667, 462_666]);
        assert_eq!(amounts.iter().sum::<i64>(), 1_388_000);
        let plan = schedule(100, 18, date("2027-01-31"));
        assert_eq!(plan.iter().map(|s| s.amount).sum::<i64>(), 100);
        assert!(plan.iter().all(|s| s.amount == 5 || s.amount == 6));
    }

    #[test]
    fn due_dates_are_monthly_and_a_short_month_takes_its_last_day() {
        let dues: Vec<String> = schedule(300, 3, date("2027-01-31"))
            .iter()
            .map(|s| s.due.to_string())
            .collect();
        assert_eq!(dues, ["2027-01-31", "2027-02-28", "2027-03-31"]);
        let leap = schedule(300, 2, date("2028-01-30"));
        assert_eq!(leap[1].due, date("2028-02-29"));
        assert_eq!(leap[1].due.day(), 29);
    }

    #[test]
    fn payments_settle_installments_in_order() {
        let terms = [
            (100, date("2027-01-10")),
            (100, date("2027-02-10")),
            (100, date("2027-03-10")),
        ];
        let today = date("2027-02-20");
        assert_eq!(
            statuses(&terms, 0, today),
            [Status::Overdue, Status::Overdue, Status::Pending]
        );
        assert_eq!(
            statuses(&terms, 150, today),
            [Status::Paid, Status::Overdue, Status::Pending]
        );
        assert_eq!(statuses(&terms, 300, today), [Status::Paid; 3]);
    }
}
