//! The rules, one file each, grouped by family (`KR-SCH`, `KR-SEC`, …).

pub mod api;
pub mod images;
pub mod network;
pub mod ordering;
pub mod policy;
pub mod schema;
pub mod secrets;
pub mod substitution;

use crate::registry::Rule;

/// Every rule (unsorted; see [`crate::registry::all_rules`]).
pub fn all() -> Vec<Box<dyn Rule>> {
    vec![
        Box::new(schema::schema_violation::SchemaViolation),
        Box::new(schema::unknown_field::UnknownField),
        Box::new(schema::unknown_kind::UnknownKind),
        Box::new(schema::invalid_yaml::InvalidYaml),
        Box::new(schema::build_failed::BuildFailed),
        Box::new(secrets::plain_secret::PlainSecret),
        Box::new(secrets::sops_without_decryption::SopsWithoutDecryption),
        Box::new(secrets::secret_generator_literal::SecretGeneratorLiteral),
        Box::new(secrets::credential_value::CredentialValue),
        Box::new(secrets::sops_rule_unused::SopsRuleUnused),
        Box::new(secrets::sops_uncovered::SopsUncovered),
        Box::new(images::image_latest::ImageLatest),
        Box::new(images::registry_allowlist::RegistryAllowlist),
        Box::new(images::floating_chart_version::FloatingChartVersion),
        Box::new(images::pull_always_mutable::PullAlwaysMutable),
        Box::new(ordering::depends_on_missing::DependsOnMissing),
        Box::new(ordering::depends_on_cycle::DependsOnCycle),
        Box::new(ordering::helmrelease_depends_on_ks::HelmReleaseDependsOnKs),
        Box::new(ordering::health_check_unrendered::HealthCheckUnrendered),
        Box::new(ordering::crd_not_dependency::CrdNotDependency),
        Box::new(ordering::namespace_missing::NamespaceMissing),
        Box::new(substitution::undefined_variable::UndefinedVariable),
        Box::new(substitution::dollar_eaten::DollarEaten),
        Box::new(substitution::substitute_from_missing::SubstituteFromMissing),
        Box::new(policy::privileged::Privileged),
        Box::new(policy::host_path::HostPath),
        Box::new(policy::host_namespaces::HostNamespaces),
        Box::new(policy::missing_resources::MissingResources),
        Box::new(policy::required_labels::RequiredLabels),
        Box::new(policy::run_as_non_root::RunAsNonRoot),
        Box::new(network::default_deny_dns::DefaultDenyDns),
        Box::new(network::policy_selects_nothing::PolicySelectsNothing),
        Box::new(network::service_selects_nothing::ServiceSelectsNothing),
        Box::new(network::backend_missing::BackendMissing),
        Box::new(network::ingressroute_backend_missing::IngressRouteBackendMissing),
        Box::new(network::linkerd_port::LinkerdPort),
        Box::new(network::exposure_inventory::ExposureInventory),
        Box::new(api::removed_api::RemovedApi),
        Box::new(api::deprecated_api::DeprecatedApi),
        Box::new(api::flux_api::FluxApi),
    ]
}
