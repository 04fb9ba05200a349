"""`agora`: the one command to run and operate Agora processes.

    agora run <process>                 run a service or the gateway (what containers run)
    agora migrate [<service> ...]       create the indexes of each service's database and
                                        declare its consumers' queues and bindings (with
                                        <SERVICE>_AMQP_URI, its own broker user, if set)
    agora replay <service>              rebuild a service's read models from its event log
    agora relay <service>               publish whatever the outbox still holds, then exit
    agora dead-letters list <service>   show dead letters: where from, why, size; never their
                                        bodies (does not remove them)
    agora dead-letters save <service> --to FILE
                                        keep a copy of the whole dead letters (headers and
                                        body: private text, so a new file of mode 0600, or
                                        `--to -` for a redirected standard output)
    agora dead-letters redrive <service> [--id ID ... | --limit N]
                                        (an --id that is no dead letter is named: exit status 1;
                                        --id with --limit is refused: the ids are the bound)
    agora dead-letters list|count|redrive <service> --outbox NAME   a delivery outbox's
                                        (notifications: mail, push)
    agora notifications send-digests [--now] [--send]
                                        make the digest e-mails that are due (each member's
                                        local hour), or every waiting one (--now); --send
                                        also sends them from here
    agora create-admin --email E --name N   (first admin of a new deployment; reads password)
    agora seed-demo                     demo accounts and content (local use only)
    agora erasure status <member-id>    prove an erasure: the member's key shredded, the
                                        tombstone logged, no personal value left in clear
                                        (a JSON report; exit status 0 only when erased, 2
                                        for an id no member ever had)
    agora erasure reapply               after restoring the key store from a backup: shred
                                        again the key of every member erased since
    agora seal-existing [<service> ...] once after the upgrade to crypto-shredding: seal the
                                        personal fields that older events hold in clear (then
                                        `agora erasure reapply`, for members erased before)
    agora mask-at-rest conversations [--dry-run]
                                        once after the upgrade that masks card numbers when
                                        stored: mask those that older private texts still hold
                                        whole (sealed again in place); prints counts, never a
                                        text (--dry-run: counts only)
"""
from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import sys
import warnings

# eventlet announces its deprecation on import, once per command and process: operators do not
# need it on every `agora` command (migrating off eventlet is tracked in the architecture notes)
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")


def _say(key: str, **params) -> str:
    """A message of `agora` in the operator's language (AGORA_LANGUAGE, else the locale)."""
    from services.shared import i18n

    return i18n.text(i18n.cli_language(), key, **params)


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "run":
        return _run(args)  # monkey-patches before anything imports sockets
    return args.handler(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="agora", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run one process")
    run.add_argument("process", help="gateway|identity|posts|moderation|feeds|notifications, "
                     "or module:Class with --config")
    run.add_argument("--config", help="config YAML (default: the process's own)")

    migrate = commands.add_parser("migrate", help="create indexes, declare consumers' queues")
    migrate.add_argument("services", nargs="*")
    migrate.set_defaults(handler=_migrate)

    replay = commands.add_parser("replay", help="rebuild read models from the event log")
    replay.add_argument("service")
    replay.set_defaults(handler=_replay)

    relay = commands.add_parser("relay", help="publish pending outbox commits and exit")
    relay.add_argument("service")
    relay.set_defaults(handler=_relay)

    letters = commands.add_parser("dead-letters", help="list or re-drive dead letters")
    letters.add_argument("action", choices=["list", "count", "save", "redrive"])
    letters.add_argument("service")
    letters.add_argument("--id", dest="ids", action="append", help="only this message id")
    letters.add_argument("--limit", type=_at_least_one, default=None)
    letters.add_argument("--to", metavar="FILE", help="save: the file to write, created with "
                         "mode 0600 and never overwritten ('-': standard output, not a terminal)")
    letters.add_argument("--outbox", help="a delivery outbox of the service (notifications: "
                         "mail, push) instead of its dead-letter queue")
    letters.set_defaults(handler=_dead_letters)

    notifications = commands.add_parser("notifications", help="notifications operations")
    operations = notifications.add_subparsers(dest="operation", required=True)
    digests = operations.add_parser("send-digests", help="make (and send) digest e-mails")
    digests.add_argument("--now", action="store_true",
                         help="every waiting digest now, whatever the members' hours")
    digests.add_argument("--send", action="store_true",
                         help="also send them from this process (else the service does)")
    digests.set_defaults(handler=_send_digests)

    admin = commands.add_parser("create-admin", help="create the first admin account")
    admin.add_argument("--email", required=True)
    admin.add_argument("--name", required=True)
    admin.set_defaults(handler=_create_admin)

    erasure = commands.add_parser("erasure", help="GDPR erasure: what remains of a member")
    erasure_operations = erasure.add_subparsers(dest="operation", required=True)
    status = erasure_operations.add_parser("status", help="the proof of a member's erasure")
    status.add_argument("member_id")
    status.set_defaults(handler=_erasure_status)
    reapply = erasure_operations.add_parser(
        "reapply", help="after restoring the key store: shred again every erased member's key")
    reapply.set_defaults(handler=_erasure_reapply)

    seal = commands.add_parser("seal-existing",
                               help="seal personal fields that events written before hold in clear")
    seal.add_argument("services", nargs="*")
    seal.set_defaults(handler=_seal_existing)

    mask_at_rest = commands.add_parser(
        "mask-at-rest", help="mask the card numbers that older stored private texts hold whole")
    mask_at_rest.add_argument("service", help="conversations")
    mask_at_rest.add_argument("--dry-run", action="store_true",
                              help="count what would be masked, write nothing")
    mask_at_rest.set_defaults(handler=_mask_at_rest)

    seed = commands.add_parser("seed-demo", help="demo accounts and content (local only)")
    seed.add_argument("--gateway", default=None, help="gateway base URL")
    seed.set_defaults(handler=_seed_demo)
    return parser


def _run(args) -> int:
    import eventlet

    eventlet.monkey_patch()  # first: nameko, kombu and pymongo must get green sockets
    from nameko.cli.run import run

    from services.shared.collector import log_collections, tune_collector
    from services.shared.config import PROCESSES, import_service, load_config, load_config_file
    from services.shared.observability import configure_logging
    from services.shared.stalls import log_stalls

    if ":" not in args.process and _unknown_service(args.process, _processes()):
        return 2
    if args.process in PROCESSES:
        service_cls = import_service(args.process)
        config = load_config_file(args.config) if args.config else load_config(args.process)
    else:
        module_name, _, class_name = args.process.partition(":")
        service_cls = getattr(importlib.import_module(module_name), class_name)
        config = load_config_file(args.config)
    configure_logging(service_cls.name, os.environ.get("LOG_LEVEL", "INFO"))
    log_collections(service_cls.name)
    log_stalls(service_cls.name)
    tune_collector()
    run([service_cls], config)
    return 0


def _processes() -> list[str]:
    """What `agora run` runs: the gateway and the services."""
    from services.shared.config import available_processes

    return available_processes()


def _logged_services() -> list[str]:
    """The services with an event log and read models: every process but the gateway."""
    return [name for name in _processes() if name != "gateway"]


def _unknown_service(name: str, known: list[str]) -> bool:
    """Whether `name` is not one of the services the command takes; if so, says which it takes
    (a mistyped name gets a sentence and exit status 2, not a traceback)."""
    if name in known:
        return False
    print(_say("cli.unknown_service", service=name, names=", ".join(known)), file=sys.stderr)
    return True


def _database(service: str):
    from services.shared.config import load_config
    from services.shared.mongo import database_name, mongo_uri, shared_client

    config = load_config(service)
    return config, shared_client(mongo_uri(config))[database_name(config, service)]


def _service_store(service: str):
    from services.shared.event_store import EventStore

    config, db = _database(service)
    return config, EventStore(db, service)


def _projection(service: str):
    return importlib.import_module(f"services.{service}.projections")


def _migrate(args) -> int:
    from services.shared.projections import ReadModels, mark_waiting_streams

    known = _processes()
    if any(_unknown_service(service, known) for service in args.services):
        return 2
    for service in args.services or known:
        if service == "gateway":  # no event log, no projections: its own collections only
            from gateway.storage import ensure_indexes

            ensure_indexes(_database(service)[1])
            print(_say("cli.indexes_ready", service=service))
            _declare_queues(service)  # its durable handler queues (not the live one: per replica)
            continue
        _, store = _service_store(service)
        store.ensure_indexes()
        module = _projection(service)
        for projection in getattr(module, "PROJECTIONS", [getattr(module, "PROJECTION", None)]):
            if projection is not None:
                projection.ensure_indexes(ReadModels(store.db))
                mark_waiting_streams(store, projection)
        if hasattr(module, "ensure_indexes"):
            module.ensure_indexes(store.db)
        print(_say("cli.indexes_ready", service=service))
        _declare_queues(service)
    return 0


def _declare_queues(service: str) -> None:
    """The queues and bindings the service's consumers declare when its pods start, declared
    before they roll out: a new event type of the release is then bound to its consumers' queues
    even if its publisher's new pods run first (docs/runbook.md, "Deploy")."""
    from services.shared.config import import_service, load_config
    from services.shared.consumer import declare_service_queues

    config = load_config(service)
    # the service's own broker user (the Job has each one's Secret): it may declare exactly
    # these queues; locally, one AMQP_URI serves every service
    amqp_uri = os.environ.get(f"{service.upper()}_AMQP_URI") or config["AMQP_URI"]
    queues = declare_service_queues(import_service(service), config, amqp_uri)
    print(_say("cli.queues_ready", service=service, count=len(queues)))


def _replay(args) -> int:
    from services.shared.projections import replay

    if _unknown_service(args.service, _logged_services()):
        return 2
    _, store = _service_store(args.service)
    module = _projection(args.service)
    for projection in getattr(module, "PROJECTIONS", [module.PROJECTION]):
        figures = replay(store, projection)
        print(json.dumps({"projection": projection.name, **figures}))
    return 0


def _relay(args) -> int:
    from services.shared.outbox import OutboxRelay

    if _unknown_service(args.service, _logged_services()):
        return 2
    config, store = _service_store(args.service)
    relay = OutboxRelay(store, config["AMQP_URI"])
    try:
        published = relay.drain()
        # nothing published because a live pod's relay holds the lease: "0 published" would read
        # as "nothing pending" to an SRE looking at a growing backlog
        held = not published and not relay.holds_lease()
        print(_say("cli.relay_lease_held" if held else "cli.relayed", service=args.service,
                   count=published))
    finally:
        relay.release_lease()
        relay.close()
    return 0


def _dead_letters(args) -> int:
    from services.shared import dead_letters
    from services.shared.config import load_config

    if _unknown_service(args.service, _processes()):
        return 2
    if args.ids and args.action != "redrive":  # said, not silently ignored
        print(_say("cli.ids_only_to_redrive", action=args.action), file=sys.stderr)
        return 2
    if args.ids and args.limit is not None:
        # the ids bound the re-drive already; a limit on top could only leave some named letters
        # behind, and saying which (and why) is a puzzle at 3 a.m.: one or the other
        print(_say("cli.ids_with_limit"), file=sys.stderr)
        return 2
    if args.outbox:
        return _outbox_dead_letters(args)
    amqp_uri = load_config(args.service)["AMQP_URI"]
    if args.action == "count":
        print(dead_letters.count_dead_letters(amqp_uri, args.service))
    elif args.action == "list":  # never the bodies (private text): `save` writes them to a file
        letters = dead_letters.list_dead_letters(amqp_uri, args.service, args.limit or 100)
        for letter in letters:
            print(json.dumps(letter))
        if not letters:  # on stderr: stdout stays one JSON document per line
            print(_say("cli.no_dead_letters", service=args.service), file=sys.stderr)
    elif args.action == "save":
        return _save_dead_letters(args, amqp_uri)
    else:
        moved, moved_ids = dead_letters.redrive_pass(amqp_uri, args.service, args.ids,
                                                     args.limit)
        print(_say("cli.redriven", service=args.service, count=moved))
        return _ids_not_found(args.ids, moved_ids, "cli.no_dead_letter_with_id",
                              service=args.service)
    return 0


def _at_least_one(value: str) -> int:
    """--limit: a count of letters; 0 or less bounded nothing (one letter moved). Not a number
    is refused with the same sentence (argparse would name this function, not the option)."""
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(_say("cli.limit_at_least_one", value=value))
    return number


def _ids_not_found(wanted: list[str] | None, found: set[str], key: str, **params) -> int:
    """Names each `--id` that matched no dead letter (a typo, or one already re-driven);
    exit status 1 if any did."""
    missing = [message_id for message_id in wanted or [] if message_id not in found]
    for message_id in missing:
        print(_say(key, id=message_id, **params), file=sys.stderr)
    return 1 if missing else 0


def _save_dead_letters(args, amqp_uri: str) -> int:
    """The whole dead letters into a file of the operator's (the evidence to keep before a
    purge), never onto a terminal: their bodies may hold members' private text."""
    from services.shared import dead_letters

    if not args.to or (args.to == "-" and sys.stdout.isatty()):
        print(_say("cli.save_needs_file"), file=sys.stderr)
        return 2
    try:
        out = contextlib.nullcontext(sys.stdout) if args.to == "-" \
            else dead_letters.private_file(args.to)
    except OSError as error:
        print(_say("cli.save_cannot_create", path=args.to, reason=error.strerror),
              file=sys.stderr)
        return 2
    try:
        with out as stream:
            saved = dead_letters.save_dead_letters(amqp_uri, args.service, stream, args.limit)
    except BaseException:
        if args.to != "-":  # no half copy left to pass for the evidence (nor to block a retry)
            os.unlink(args.to)
        raise
    print(_say("cli.dead_letters_saved", service=args.service, count=saved, path=args.to),
          file=sys.stderr if args.to == "-" else sys.stdout)
    return 0


def _outbox_dead_letters(args) -> int:
    """Dead letters of a delivery outbox (MongoDB documents in state ``dead``), which the
    service's ``delivery.Deliveries.outboxes()`` names."""
    from services.shared.config import load_config
    from services.shared.mongo import database_name, mongo_uri, shared_client

    if args.action == "save":  # documents in the service's database: nothing to purge
        print(_say("cli.save_queue_only"), file=sys.stderr)
        return 2
    config = load_config(args.service)
    try:
        delivery = importlib.import_module(f"services.{args.service}.delivery")
    except ModuleNotFoundError:
        print(_say("cli.no_outboxes", service=args.service), file=sys.stderr)
        return 2
    db = shared_client(mongo_uri(config))[database_name(config, args.service)]
    settings = delivery.DeliverySettings.from_config(config)
    outboxes = delivery.Deliveries(db, settings, pusher=None).outboxes()
    outbox = outboxes.get(args.outbox)
    if outbox is None:
        print(_say("cli.no_such_outbox", outbox=args.outbox, service=args.service,
                   names=", ".join(outboxes)), file=sys.stderr)
        return 2
    if args.action == "count":
        print(outbox.count_dead())
    elif args.action == "list":
        letters = outbox.dead_letters(args.limit or 100)
        for letter in letters:
            print(json.dumps({"id": letter.pop("_id"), **letter}, default=str))
        if not letters:  # on stderr, as for a queue
            print(_say("cli.outbox_no_dead_letters", service=args.service, outbox=args.outbox),
                  file=sys.stderr)
    else:
        dead_ids = {doc["_id"] for doc in outbox.collection.find(
            {"_id": {"$in": args.ids}, "state": "dead"}, {"_id": 1})} if args.ids else set()
        moved = outbox.redrive(args.ids, args.limit)
        print(_say("cli.outbox_redriven", service=args.service, outbox=args.outbox,
                   count=moved))
        return _ids_not_found(args.ids, dead_ids, "cli.outbox_no_dead_letter_with_id",
                              service=args.service, outbox=args.outbox)
    return 0


def _send_digests(args) -> int:
    """The digest check the notifications service runs every minute, now (or, with --now,
    every waiting digest whatever the members' hours). The mails go to the outbox: the running
    service sends them within a second (--send: this process sends them, e.g. if it is down)."""
    from services.notifications.delivery import Deliveries, DeliverySettings
    from services.shared.config import load_config
    from services.shared.mongo import database_name, mongo_uri, shared_client

    config = load_config("notifications")
    db = shared_client(mongo_uri(config))[database_name(config, "notifications")]
    deliveries = Deliveries(db, DeliverySettings.from_config(config), pusher=None)
    queued = deliveries.enqueue()
    made = deliveries.run_digests(force=args.now)
    print(_say("cli.digests_made", made=made, queued=queued))
    if args.send:
        sent = 0
        while (batch := deliveries.send_mail()) > 0:
            sent += batch
        print(_say("cli.digests_sent", sent=sent))
    elif made:
        print(_say("cli.digests_handover"))
    return 0


def _erasure_status(args) -> int:
    """The DPO's proof, from the databases: exit status 0 only when the member is erased."""
    from services.ops.erasure_status import erasure_report
    from services.shared.shredding import SubjectKeys

    databases = {service: _database(service)[1] for service in _logged_services()}
    keys = SubjectKeys.beside(databases["identity"], "identity").collection.database
    report = erasure_report(databases, keys, args.member_id)
    if not report["member_known"]:  # a mistyped id is not a failed erasure
        print(_say("cli.erasure_unknown_member", member=args.member_id), file=sys.stderr)
        return 2
    print(json.dumps(report, indent=2, ensure_ascii=False))
    if report["erased"]:
        print(_say("cli.erasure_proved", member=args.member_id))
        return 0
    print(_say("cli.erasure_not_proved", member=args.member_id, key_state=report["key"]["state"],
               clear=report["personal_values_in_clear"]), file=sys.stderr)
    return 1


def _erasure_reapply(args) -> int:
    """Restore procedure: the tombstones in identity's log shred again what a key-store backup
    brought back."""
    from services.ops.erasure_status import reapply_erasures
    from services.shared.shredding import SubjectKeys

    _, identity = _database("identity")
    shredded = reapply_erasures(identity, SubjectKeys.beside(identity, "identity"))
    print(_say("cli.erasures_reapplied", count=len(shredded)))
    return 0


def _seal_existing(args) -> int:
    """Rewrite, in place, the clear personal values of older commits as sealed ones."""
    known = _logged_services()
    if any(_unknown_service(service, known) for service in args.services):
        return 2
    for service in args.services or known:
        _, store = _service_store(service)
        print(_say("cli.sealed_existing", service=service, commits=store.seal_existing()))
    return 0


def _mask_at_rest(args) -> int:
    """Card numbers stored whole before the release that masks them at write time, masked in
    place (services/conversations/mask_at_rest.py): one JSON line of counts per collection."""
    if _unknown_service(args.service, ["conversations"]):  # the one service storing such texts
        return 2
    from services.conversations.mask_at_rest import mask_at_rest

    _, db = _database(args.service)
    for counts in mask_at_rest(db, dry_run=args.dry_run):
        print(json.dumps({**counts, "dry_run": args.dry_run}))
    return 0


def _create_admin(args) -> int:
    module = importlib.import_module("services.identity.admin")
    return module.create_admin_from_cli(args)


def _seed_demo(args) -> int:
    module = importlib.import_module("services.devtools.demo_seed")
    return module.seed(args.gateway)


if __name__ == "__main__":
    sys.exit(main())
