#![recursion_limit = "256"]
//! End-to-end tests: the real application over HTTP and WebSocket. They run on SQLite by
//! default and on PostgreSQL and Redis when TEST_DATABASE_URL / TEST_REDIS_URL are set.

mod helpers;

mod alerts;
mod auth;
mod billing;
mod booking;
mod browser;
mod campaigns;
mod commerce;
mod crm;
mod edge;
mod email;
mod events;
mod files;
mod finkok_double;
mod fixtures;
mod forms;
mod graphql_http;
mod input_hygiene;
mod iot;
mod isolation;
mod jobs;
mod mail_sink;
mod messaging;
mod messaging_double;
mod mqtt;
mod orders;
mod pdfs;
mod prepaid;
mod proposals;
mod purchasing;
mod rls;
mod sales_invoicing;
mod scheduling;
mod stripe;
mod stripe_double;
mod team;
mod webhook_receiver;
mod webhooks;
mod workflows;
