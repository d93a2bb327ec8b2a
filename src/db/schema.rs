//! The one schema that both `migrations/sqlite` and `migrations/postgres` satisfy.
//! Ids are text (UUID v7), times UTC `Timestamp`, so the multi backend can carry them.

diesel::table! {
    users (id) {
        id -> Text,
        name -> Text,
        role -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    tokens (id) {
        id -> Text,
        user_id -> Text,
        label -> Nullable<Text>,
        token_hash -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    environments (id) {
        id -> Text,
        name -> Text,
        last_event_id -> BigInt,
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
    items (id) {
        id -> Text,
        kind -> Text,
        content_type -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    versions (item_id, locale, version) {
        item_id -> Text,
        locale -> Text,
        version -> Integer,
        content -> Text,
        refs -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    publish_events (id) {
        id -> BigInt,
        environment_id -> Text,
        item_id -> Text,
        locale -> Text,
        from_version -> Nullable<Integer>,
        to_version -> Nullable<Integer>,
        cause -> Text,
        deployment_id -> Nullable<Text>,
        actor -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    publish_states (environment_id, item_id, locale) {
        environment_id -> Text,
        item_id -> Text,
        locale -> Text,
        version -> Nullable<Integer>,
        last_event_id -> BigInt,
        updated_at -> Timestamp,
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
    }
}

diesel::table! {
    release_items (release_id, item_id, locale) {
        release_id -> Text,
        item_id -> Text,
        locale -> Text,
        action -> Nullable<Text>,
        version -> Nullable<Integer>,
        position -> BigInt,
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
        progress_total -> Integer,
        progress_done -> Integer,
        published -> Integer,
        unpublished -> Integer,
        skipped -> Integer,
        error -> Nullable<Text>,
        rolled_back_to_deployment_id -> Nullable<Text>,
        high_event_id -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    deployment_items (deployment_id, position) {
        deployment_id -> Text,
        position -> Integer,
        item_id -> Text,
        locale -> Text,
        action -> Text,
        version -> Nullable<Integer>,
        prior_version -> Nullable<Integer>,
        outcome -> Text,
        skip_reason -> Nullable<Text>,
        event_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    idempotency_keys (user_id, key) {
        user_id -> Text,
        key -> Text,
        method -> Text,
        path -> Text,
        body_hash -> Text,
        response_status -> Nullable<Integer>,
        response_body -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(tokens -> users (user_id));
diesel::joinable!(grants -> users (user_id));
diesel::joinable!(grants -> environments (environment_id));
diesel::joinable!(versions -> items (item_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    tokens,
    environments,
    grants,
    items,
    versions,
    publish_events,
    publish_states,
    releases,
    release_items,
    deployments,
    deployment_items,
    idempotency_keys,
);
