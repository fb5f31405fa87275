//! Background workers: each leases a job from the database, processes it, and waits
//! to be woken (or for the poll interval) when there is nothing to do.
pub mod worker;

pub use worker::WorkerPool;
