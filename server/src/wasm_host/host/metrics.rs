//! The `metrics` host interface: counters and gauges a plugin reports, exported on
//! `/metrics` with the plugin's name as a label. Invalid names and series past the
//! per-plugin cap are dropped and logged once per invocation.
use super::super::bindings::gantry::plugin::metrics::Host;
use super::CallData;

impl CallData {
    fn refused_metric(&mut self, name: &str) {
        if !self.invocation.metric_refused {
            self.invocation.metric_refused = true;
            self.invocation.log.push("warn", &format!("metric {name} dropped: names are [a-z0-9_]{{1,64}} and a plugin has at most 100 series"));
        }
    }
}

impl Host for CallData {
    async fn counter_add(
        &mut self,
        name: String,
        label: String,
        value: u64,
    ) -> wasmtime::Result<()> {
        let inv = &self.invocation;
        let ok = inv
            .env
            .services
            .metrics
            .as_ref()
            .is_none_or(|m| m.add(&inv.plugin, &name, &label, value));
        if !ok {
            self.refused_metric(&name);
        }
        Ok(())
    }

    async fn gauge_set(&mut self, name: String, label: String, value: f64) -> wasmtime::Result<()> {
        let inv = &self.invocation;
        let ok = inv
            .env
            .services
            .metrics
            .as_ref()
            .is_none_or(|m| m.set(&inv.plugin, &name, &label, value));
        if !ok {
            self.refused_metric(&name);
        }
        Ok(())
    }
}
