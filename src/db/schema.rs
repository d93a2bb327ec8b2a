// @generated automatically by Diesel CLI.

diesel::table! {
    console_sessions (id_hash) {
        id_hash -> Text,
        user_id -> Text,
        token_id -> Text,
        csrf_token -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    cursor_secrets (id) {
        id -> Int4,
        secret -> Text,
    }
}

diesel::table! {
    deployment_items (deployment_id, position) {
        deployment_id -> Text,
        position -> Int4,
        item_key -> Int8,
        locale -> Text,
        action -> Text,
        version -> Nullable<Int4>,
        prior_version -> Nullable<Int4>,
        outcome -> Text,
        skip_reason -> Nullable<Text>,
        event_id -> Nullable<Int8>,
        warnings -> Text,
    }
}

diesel::table! {
    deployments (id) {
        id -> Text,
        release_id -> Nullable<Text>,
        environment_id -> Text,
        trigger -> Text,
        status -> Text,
        deployed_by -> Text,
        reason -> Nullable<Text>,
        scheduled_at -> Nullable<Timestamp>,
        started_at -> Nullable<Timestamp>,
        finished_at -> Nullable<Timestamp>,
        progress_total -> Int4,
        progress_done -> Int4,
        published -> Int4,
        unpublished -> Int4,
        skipped -> Int4,
        error -> Nullable<Text>,
        rolled_back_to_deployment_id -> Nullable<Text>,
        high_event_id -> Nullable<Int8>,
        created_at -> Timestamp,
        on_conflict -> Text,
        warned_items -> Int4,
        hold -> Nullable<Bool>,
        approvals_required -> Nullable<Int4>,
        allow_self_approval -> Bool,
    }
}

diesel::table! {
    deployment_keys (deployment_id, item_key, locale) {
        deployment_id -> Text,
        item_key -> Int8,
        locale -> Text,
    }
}

diesel::table! {
    deployment_verdicts (deployment_id, verdict, user_id) {
        deployment_id -> Text,
        user_id -> Text,
        verdict -> Text,
        comment -> Nullable<Text>,
        at -> Timestamp,
    }
}

diesel::table! {
    environments (id) {
        id -> Text,
        name -> Text,
        created_at -> Timestamp,
        key -> Int8,
        hold_after_rollback -> Bool,
        approvals_required -> Nullable<Int4>,
        allow_self_approval -> Bool,
    }
}

diesel::table! {
    freezes (id) {
        id -> Text,
        environment_id -> Text,
        starts_at -> Timestamp,
        ends_at -> Timestamp,
        reason -> Text,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    grants (user_id, environment_id) {
        user_id -> Text,
        environment_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    holds (id) {
        id -> Text,
        environment_id -> Text,
        cause -> Text,
        reason -> Text,
        held_by -> Text,
        held_at -> Timestamp,
        deployment_id -> Nullable<Text>,
        lifted_by -> Nullable<Text>,
        lifted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    idempotency_keys (user_id, key) {
        user_id -> Text,
        key -> Text,
        method -> Text,
        path -> Text,
        body_hash -> Text,
        response_status -> Nullable<Int4>,
        response_body -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    items (id) {
        id -> Text,
        kind -> Text,
        content_type -> Nullable<Text>,
        created_at -> Timestamp,
        key -> Int8,
        title -> Nullable<Text>,
    }
}

diesel::table! {
    published_counts (environment_key, shard) {
        environment_key -> Int8,
        shard -> Int4,
        published -> Int8,
    }
}

diesel::table! {
    publish_events (id) {
        id -> Int8,
        environment_key -> Int8,
        item_key -> Int8,
        locale -> Text,
        from_version -> Nullable<Int4>,
        to_version -> Nullable<Int4>,
        cause -> Text,
        deployment_id -> Nullable<Text>,
        actor -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    publish_states (environment_key, item_key, locale) {
        environment_key -> Int8,
        item_key -> Int8,
        locale -> Text,
        version -> Nullable<Int4>,
        last_event_id -> Int8,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    release_items (release_id, item_key, locale) {
        release_id -> Text,
        item_key -> Int8,
        locale -> Text,
        action -> Nullable<Text>,
        version -> Nullable<Int4>,
        position -> Int8,
    }
}

diesel::table! {
    releases (id) {
        id -> Text,
        name -> Text,
        description -> Nullable<Text>,
        kind -> Text,
        rollback_of -> Nullable<Text>,
        owner -> Text,
        created_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
        item_count -> Int8,
        promoted_from -> Nullable<Text>,
        promoted_to -> Nullable<Text>,
        promoted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    tokens (id) {
        id -> Text,
        user_id -> Text,
        label -> Nullable<Text>,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Nullable<Timestamp>,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        name -> Text,
        role -> Text,
        created_at -> Timestamp,
        deactivated_at -> Nullable<Timestamp>,
        name_key -> Nullable<Text>,
    }
}

diesel::table! {
    version_references (item_id, locale, version, referenced_item_id) {
        item_id -> Text,
        locale -> Text,
        version -> Int4,
        referenced_item_id -> Text,
    }
}

diesel::table! {
    versions (item_id, locale, version) {
        item_id -> Text,
        locale -> Text,
        version -> Int4,
        content -> Text,
        refs -> Text,
        created_at -> Timestamp,
        title -> Nullable<Text>,
    }
}

diesel::table! {
    webhook_deliveries (seq) {
        seq -> Int8,
        id -> Text,
        endpoint_id -> Text,
        event_type -> Text,
        deployment_id -> Nullable<Text>,
        payload -> Text,
        status -> Text,
        attempts -> Int4,
        last_status_code -> Nullable<Int4>,
        last_error -> Nullable<Text>,
        next_attempt_at -> Timestamp,
        lease_id -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
        created_at -> Timestamp,
        delivered_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webhook_endpoints (id) {
        id -> Text,
        url -> Text,
        secret -> Text,
        description -> Nullable<Text>,
        created_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
        all_environments -> Bool,
    }
}

diesel::table! {
    webhook_endpoint_events (endpoint_id, event) {
        endpoint_id -> Text,
        event -> Text,
    }
}

diesel::table! {
    webhook_endpoint_environments (endpoint_id, environment_id) {
        endpoint_id -> Text,
        environment_id -> Text,
    }
}

diesel::joinable!(console_sessions -> tokens (token_id));
diesel::joinable!(console_sessions -> users (user_id));
diesel::joinable!(deployment_items -> deployments (deployment_id));
diesel::joinable!(deployment_keys -> deployments (deployment_id));
diesel::joinable!(deployment_verdicts -> deployments (deployment_id));
diesel::joinable!(deployments -> environments (environment_id));
diesel::joinable!(deployments -> releases (release_id));
diesel::joinable!(deployments -> users (deployed_by));
diesel::joinable!(freezes -> environments (environment_id));
diesel::joinable!(grants -> environments (environment_id));
diesel::joinable!(holds -> environments (environment_id));
diesel::joinable!(grants -> users (user_id));
diesel::joinable!(idempotency_keys -> users (user_id));
diesel::joinable!(release_items -> releases (release_id));
diesel::joinable!(releases -> users (owner));
diesel::joinable!(tokens -> users (user_id));
diesel::joinable!(versions -> items (item_id));
diesel::joinable!(webhook_deliveries -> webhook_endpoints (endpoint_id));
diesel::joinable!(webhook_endpoint_environments -> environments (environment_id));
diesel::joinable!(webhook_endpoint_environments -> webhook_endpoints (endpoint_id));
diesel::joinable!(webhook_endpoint_events -> webhook_endpoints (endpoint_id));

diesel::allow_tables_to_appear_in_same_query!(
    cursor_secrets,
    deployment_keys,
    deployment_verdicts,
    freezes,
    holds,
    console_sessions,
    deployment_items,
    deployments,
    environments,
    grants,
    idempotency_keys,
    items,
    publish_events,
    published_counts,
    publish_states,
    release_items,
    releases,
    tokens,
    users,
    version_references,
    versions,
    webhook_deliveries,
    webhook_endpoint_environments,
    webhook_endpoint_events,
    webhook_endpoints,
);
