"""The emf module's own store tables (applied by ``Store.migrate_module``).

Each script is one schema version; a new version is appended at the end, never inserted.
"""

MIGRATIONS: list[str] = [
    # residents' measurement requests (ssckit.emf.requests): the queue, every state change,
    # and the delivery log of their e-mail notices
    """
    CREATE TABLE emf_requests (
        ref             VARCHAR PRIMARY KEY,
        token_hash      VARCHAR NOT NULL UNIQUE,
        received_at     TIMESTAMP NOT NULL,
        channel         VARCHAR NOT NULL,
        status          VARCHAR NOT NULL,
        address         VARCHAR NOT NULL,
        place           VARCHAR NOT NULL DEFAULT '',
        lat             DOUBLE NOT NULL,
        lon             DOUBLE NOT NULL,
        email           VARCHAR NOT NULL DEFAULT '',
        lang            VARCHAR NOT NULL,
        reason          VARCHAR NOT NULL DEFAULT '',
        consent_publish BOOLEAN NOT NULL,
        assignee        VARCHAR,
        scheduled_for   DATE,
        e_v_m           DOUBLE,
        percent_of_limit DOUBLE,
        report_file     VARCHAR,
        lab_report      VARCHAR,
        closed_at       TIMESTAMP
    );
    CREATE TABLE emf_request_events (
        ref     VARCHAR NOT NULL,
        seq     INTEGER NOT NULL,
        happened_at TIMESTAMP NOT NULL,
        actor   VARCHAR NOT NULL,
        action  VARCHAR NOT NULL,
        detail  VARCHAR NOT NULL DEFAULT '',
        PRIMARY KEY (ref, seq)
    );
    CREATE TABLE emf_request_notices (
        notice_key   VARCHAR NOT NULL,
        channel      VARCHAR NOT NULL,
        destination  VARCHAR NOT NULL,
        attempt      INTEGER NOT NULL,
        attempted_at TIMESTAMP NOT NULL,
        ok           BOOLEAN NOT NULL,
        detail       VARCHAR NOT NULL DEFAULT '',
        PRIMARY KEY (notice_key, channel, destination, attempt)
    );
    """,
]
