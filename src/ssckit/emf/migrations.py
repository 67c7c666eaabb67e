"""The emf module's own store tables (applied by ``Store.migrate_module``).

Each script is one schema version; a new version is appended at the end, never inserted.
"""

from ssckit.core.notify import delivery_table_sql

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
    """ + delivery_table_sql("emf_request_notices", "notice_key"),
    # lab reports of the EMF measurement register (ssckit.emf.register): one row per report,
    # its E-field per band; a report imported again replaces its rows
    """
    CREATE TABLE emf_lab_reports (
        report_id        VARCHAR NOT NULL,
        measured_on      DATE NOT NULL,
        lab              VARCHAR NOT NULL,
        protocol         VARCHAR NOT NULL,
        lat              DOUBLE NOT NULL,
        lon              DOUBLE NOT NULL,
        height_m         DOUBLE NOT NULL,
        e_total_v_m      DOUBLE NOT NULL,
        total_measured   BOOLEAN NOT NULL,
        uncertainty      DOUBLE NOT NULL,
        uncertainty_unit VARCHAR NOT NULL,
        report_file      VARCHAR NOT NULL DEFAULT '',
        source           VARCHAR NOT NULL,
        line             INTEGER NOT NULL,
        imported_at      TIMESTAMP NOT NULL DEFAULT current_timestamp
    );
    CREATE TABLE emf_lab_bands (
        report_id VARCHAR NOT NULL,
        band      VARCHAR NOT NULL,
        freq_mhz  DOUBLE NOT NULL,
        e_v_m     DOUBLE NOT NULL
    );
    """,
]
