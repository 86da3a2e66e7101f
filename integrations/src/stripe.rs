//! Stripe through async-stripe: Checkout Sessions for invoice balances and plan
//! subscriptions. The API's base URL
//! is configuration, so tests point it at a local double of Stripe's API.

use std::collections::HashMap;

use stripe::{IdempotencyKey, RequestStrategy, StripeRequest};
use stripe_checkout::CheckoutSessionMode;
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionLineItems, CreateCheckoutSessionLineItemsPriceData,
    CreateCheckoutSessionPaymentIntentData, CreateCheckoutSessionSubscriptionData, ProductData,
};
use tianguis_domain::ports::{CheckoutLink, CheckoutRequest, PaymentGateway, Purchase};

pub struct StripeGateway {
    client: stripe::Client,
}

impl StripeGateway {
    /// `api_url` is Stripe's (`https://api.stripe.com/`) or a double's.
    pub fn new(secret_key: &str, api_url: &str) -> anyhow::Result<Self> {
        let client = stripe::ClientBuilder::new(secret_key)
            .url(api_url)
            .build()
            .map_err(|e| anyhow::anyhow!("building the Stripe client: {e}"))?;
        Ok(Self { client })
    }
}

#[async_trait::async_trait]
impl PaymentGateway for StripeGateway {
    async fn checkout(&self, request: &CheckoutRequest) -> anyhow::Result<CheckoutLink> {
        let metadata: HashMap<String, String> = request.metadata.iter().cloned().collect();
        let mut create = CreateCheckoutSession::new()
            .success_url(request.success_url.clone())
            .cancel_url(request.cancel_url.clone())
            .metadata(metadata.clone());
        let mut item = CreateCheckoutSessionLineItems::new();
        item.quantity = Some(1);
        match &request.purchase {
            Purchase::Once {
                description,
                amount,
                currency,
            } => {
                let currency = currency
                    .to_lowercase()
                    .parse::<stripe_types::Currency>()
                    .map_err(|_| anyhow::anyhow!("Stripe does not know the currency {currency}"))?;
                let mut price = CreateCheckoutSessionLineItemsPriceData::new(currency);
                price.product_data = Some(ProductData::new(description.clone()));
                price.unit_amount = Some(*amount);
                item.price_data = Some(price);
                // The PaymentIntent carries the metadata too: its own events find the invoice.
                let mut intent = CreateCheckoutSessionPaymentIntentData::new();
                intent.metadata = Some(metadata);
                create = create
                    .mode(CheckoutSessionMode::Payment)
                    .payment_intent_data(intent);
            }
            Purchase::Subscription { price } => {
                item.price = Some(price.clone());
                // Likewise the subscription: its events find the business.
                let mut subscription = CreateCheckoutSessionSubscriptionData::new();
                subscription.metadata = Some(metadata);
                create = create
                    .mode(CheckoutSessionMode::Subscription)
                    .subscription_data(subscription);
            }
        }
        create = create.line_items(vec![item]);
        if let Some(email) = &request.customer_email {
            create = create.customer_email(email.clone());
        }
        let key = IdempotencyKey::new(&request.idempotency_key)
            .map_err(|e| anyhow::anyhow!("idempotency key: {e}"))?;
        let session = create
            .customize()
            .request_strategy(RequestStrategy::Idempotent(key))
            .send(&self.client)
            .await
            .map_err(|e| anyhow::anyhow!("Stripe refused the Checkout Session: {e}"))?;
        Ok(CheckoutLink {
            id: session.id.to_string(),
            url: session.url.ok_or_else(|| {
                anyhow::anyhow!("Stripe answered a Checkout Session without a URL")
            })?,
        })
    }
}
