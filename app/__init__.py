"""Handvat: the NJi conversation plate "Handvatten voor gesprek" as a working tool."""

from __future__ import annotations

import os

from flask import Flask

from .config import (
    PROJECT_ROOT,
    SETTING_WARNINGS,
    DefaultConfig,
    database_url,
    load_secret_key,
    load_settings,
    log_setting_warnings,
    require_shared_rate_limits,
    require_strong_secret_key,
)


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    configure(app, test_config)
    register_extensions(app)
    log_setting_warnings(app)  # now that the log is set up
    register_url_converters(app)
    register_blueprints(app)
    register_template_helpers(app)
    register_errorhandlers(app)
    register_commands(app)
    prepare_embedded_database(app)
    return app


def configure(app: Flask, test_config: dict | None) -> None:
    app.config.from_object(DefaultConfig)
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url(app.instance_path)
    if test_config is None:
        before = dict(app.config)
        app.config.from_pyfile("config.py", silent=True)
        from_file = [name for name, value in app.config.items() if before.get(name) is not value]
        # Every HANDVAT_ variable as its type; an invalid value stops the app here.
        app.extensions[SETTING_WARNINGS] = load_settings(app.config, os.environ, from_file)
    else:
        app.config.update(test_config)
    #: SQLite is only ever the embedded default; production runs on PostgreSQL.
    app.config["IS_EMBEDDED_DB"] = app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")
    if not app.config["IS_EMBEDDED_DB"]:
        # A server connection can drop between requests (a restart, a failover); a local
        # SQLite file cannot. The ping costs about 0.08 ms of CPU per request; without it the
        # first request on a dropped connection would fail with a 500, which we never give.
        options = {"pool_pre_ping": True, "pool_recycle": 300}
        if "connect_timeout=" not in app.config["SQLALCHEMY_DATABASE_URI"]:
            options["connect_args"] = {"connect_timeout": app.config["DATABASE_CONNECT_TIMEOUT"]}
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", options)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_secret_key(app.instance_path)
    require_strong_secret_key(app.config)
    require_shared_rate_limits(app.config)
    if app.config["REQUIRE_TWO_FACTOR"] is None:
        app.config["REQUIRE_TWO_FACTOR"] = not app.config["IS_EMBEDDED_DB"]


def register_extensions(app: Flask) -> None:
    from .accounts.access import init_access
    from .accounts.limits import init_rate_limits
    from .conversations.revisions import track_conversation_revisions
    from .core.database import init_database
    from .core.logs import init_logging
    from .core.security import init_security
    from .core.uploads import init_upload_limits
    from .extensions import csrf, db, migrate
    from .indicators.content import init_indicator_content
    from .questionnaires.registry import init_questionnaires

    init_logging(app)  # first: its after-request function then runs last, on the final answer
    db.init_app(app)
    init_database(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    init_upload_limits(app)  # before the CSRF check reads a form
    csrf.init_app(app)
    init_security(app)
    init_access(app)
    init_rate_limits(app)
    init_questionnaires(app)
    init_indicator_content(app)
    track_conversation_revisions()


def register_url_converters(app: Flask) -> None:
    from .core.converters import register_url_converters as register

    register(app)


def register_blueprints(app: Flask) -> None:
    from .accounts.routes import bp as accounts_bp
    from .accounts.two_factor_routes import bp as two_factor_bp
    from .actions.progress_routes import bp as progress_bp
    from .actions.routes import bp as actions_bp
    from .admin.routes import bp as admin_bp
    from .api.routes import bp as api_bp
    from .api.token_routes import bp as api_tokens_bp
    from .audit.routes import bp as audit_bp
    from .conversations.routes import bp as conversations_bp
    from .core.routes import bp as core_bp
    from .exports.routes import bp as exports_bp
    from .health.routes import bp as health_bp
    from .indicators.action_routes import bp as action_indicators_bp
    from .indicators.routes import bp as indicators_bp
    from .privacy.routes import bp as privacy_bp
    from .regions.routes import bp as regions_bp
    from .reminders.routes import bp as reminders_bp
    from .rounds.routes import bp as rounds_bp
    from .tracking.routes import bp as tracking_bp
    from .workshops.participant_routes import bp as workshop_participants_bp
    from .workshops.results_routes import bp as workshop_results_bp
    from .workshops.routes import bp as workshops_bp

    app.register_blueprint(core_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(conversations_bp)
    app.register_blueprint(actions_bp)
    app.register_blueprint(exports_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(two_factor_bp)
    app.register_blueprint(regions_bp)
    app.register_blueprint(audit_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(privacy_bp)
    app.register_blueprint(indicators_bp)
    app.register_blueprint(action_indicators_bp)
    app.register_blueprint(progress_bp)
    app.register_blueprint(reminders_bp)
    app.register_blueprint(tracking_bp)
    app.register_blueprint(rounds_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(api_tokens_bp)
    app.register_blueprint(workshops_bp)
    app.register_blueprint(workshop_participants_bp)
    app.register_blueprint(workshop_results_bp)


def register_template_helpers(app: Flask) -> None:
    from .core.formatting import register_filters

    register_filters(app)


def register_errorhandlers(app: Flask) -> None:
    from .core.errors import register_errorhandlers as register

    register(app)


def register_commands(app: Flask) -> None:
    from .accounts.commands import users_cli
    from .api.commands import tokens_cli
    from .backups.commands import backup_command, restore_command
    from .demo.commands import demo_command
    from .indicators.commands import indicators_cli
    from .regions.commands import region_cli
    from .reminders.commands import reminders_cli

    app.cli.add_command(demo_command)
    app.cli.add_command(region_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(indicators_cli)
    app.cli.add_command(reminders_cli)
    app.cli.add_command(tokens_cli)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)


def prepare_embedded_database(app: Flask) -> None:
    if app.config["IS_EMBEDDED_DB"] and app.config["AUTO_UPGRADE_EMBEDDED_DB"]:
        from .core.database import upgrade_to_head

        upgrade_to_head(app)
