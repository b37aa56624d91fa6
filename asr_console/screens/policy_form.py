"""Create / edit a replication policy, and associate or dissociate it with a container.

The form shows the fields of the chosen provider, validates with ``validate_policy`` on every keystroke
(errors under the field, one line of help above it), refuses to send while anything is wrong, shows the
plan on a confirmation (`y`) and only then sends, and follows the ASR job it started. Enter in a field
moves to the next one; it never saves.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from asr_console.model.arm import same_arm_id
from asr_console.model.operations import Operation
from asr_console.model.queries import mappings_of_container, mappings_of_policy
from asr_console.model.records import (
    ContainerMapping,
    Fabric,
    FabricKind,
    Job,
    Policy,
    ProtectionContainer,
    Provider,
)
from asr_console.model.specs import (
    CRASH_CONSISTENT_MINUTES,
    POLICY_FIELD_HELP,
    FieldError,
    InvalidInput,
    PolicySpec,
    validate_policy,
)
from asr_console.screens.dialog_frame import Dialog
from asr_console.widgets.console import ConsoleAccess
from asr_console.widgets.policies import container_name
from asr_console.widgets.progress import JobProgress

NUMBER_FIELDS = (
    ("recovery_point_history_minutes", "Retention (minutes)"),
    ("app_consistent_frequency_minutes", "App-consistent snapshot frequency (minutes)"),
    ("crash_consistent_frequency_minutes", "Crash-consistent frequency (minutes)"),
    ("rpo_threshold_minutes", "RPO alert threshold (minutes)"),
)
CLASSIC_ONLY = {"rpo_threshold_minutes"}
PROVIDERS = [
    ("InMageRcm — modernized (replication appliance)", Provider.INMAGE_RCM.value),
    ("InMageAzureV2 — classic (configuration server)", Provider.INMAGE_AZURE_V2.value),
]


class PolicyFormScreen(ConsoleAccess, Dialog[None]):
    """Attributes: ``policy`` (None when creating), ``errors`` (the current field errors)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
        Binding("ctrl+r", "save", "Save…", priority=True),
    ]
    DEFAULT_CSS = """
    PolicyFormScreen > VerticalScroll { width: 96; max-width: 98%; max-height: 96%; }
    PolicyFormScreen .help { color: $text-muted; height: auto; }
    PolicyFormScreen .field-error { color: $error; height: auto; }
    PolicyFormScreen .hidden { display: none; }
    PolicyFormScreen Input, PolicyFormScreen Input:focus {
        height: 1; border: none; padding: 0 1; background: $boost;
    }
    PolicyFormScreen Input:focus { background: $accent 30%; text-style: bold; }
    /* Textual's invalid style adds a border, which in a one-row input hides the value being fixed */
    PolicyFormScreen Input.-invalid, PolicyFormScreen Input.-invalid:focus {
        height: 1; border: none; background: $error 25%;
    }
    PolicyFormScreen Label { margin-top: 1; text-style: bold; }
    PolicyFormScreen Horizontal { height: auto; margin-top: 1; }
    """

    def __init__(self, policy: Policy | None) -> None:
        super().__init__()
        self.policy = policy
        self.errors: list[FieldError] = []
        self.sent = False

    def compose(self) -> ComposeResult:
        policy = self.policy
        s = policy.settings if policy else None
        title = f"Edit policy {policy.name}" if policy else "New replication policy"
        with VerticalScroll():
            yield Static(f"[b]{title}[/b]  (ctrl+r saves, esc closes)")
            yield Label("Provider")
            provider = (
                policy.provider if policy and policy.provider is not Provider.OTHER else Provider.INMAGE_RCM
            )
            yield Select(
                PROVIDERS, value=provider.value, allow_blank=False, id="f-provider", disabled=bool(policy)
            )
            yield Static("", classes="field-error", id="err-provider")
            yield Label("Name")
            yield Static(POLICY_FIELD_HELP["name"], classes="help")
            yield Input(policy.name if policy else "", id="f-name", disabled=bool(policy))
            yield Static("", classes="field-error", id="err-name")
            defaults = PolicySpec(name="", provider=provider)
            for field, label in NUMBER_FIELDS:
                if s is not None:
                    value = getattr(s, field)
                    if value is None:
                        value = getattr(defaults, field)
                else:
                    value = getattr(defaults, field)
                yield Label(label, id=f"l-{field}")
                yield Static(POLICY_FIELD_HELP[field], classes="help", id=f"h-{field}")
                yield Input(str(value), id=f"f-{field}", type="integer")
                yield Static("", classes="field-error", id=f"err-{field}")
            yield Checkbox(
                "Multi-VM consistency", value=bool(s.multi_vm_sync) if s else False, id="f-multi_vm_sync"
            )
            yield Static(POLICY_FIELD_HELP["multi_vm_sync"], classes="help")
            yield Static("", classes="field-error", id="err-form")
            with Horizontal():
                yield Button("Save… (ctrl+r)", id="f-save")
                yield Button("Close (esc)", id="f-close")
            yield JobProgress(id="policy-job", job_ids=[])

    def on_mount(self) -> None:
        self._show_provider_fields()
        self.revalidate()

    def provider(self) -> Provider:
        return Provider.parse(str(self.query_one("#f-provider", Select).value))

    def _show_provider_fields(self) -> None:
        classic = self.provider() is Provider.INMAGE_AZURE_V2
        for field in CLASSIC_ONLY:
            for prefix in ("l-", "h-", "f-", "err-"):
                self.query_one(f"#{prefix}{field}").set_class(not classic, "hidden")

    def spec(self) -> tuple[PolicySpec | None, list[FieldError]]:
        """The spec the form describes, or the fields that are not whole numbers."""
        numbers: dict[str, int] = {}
        errors: list[FieldError] = []
        for field, _label in NUMBER_FIELDS:
            raw = self.query_one(f"#f-{field}", Input).value.strip()
            if field in CLASSIC_ONLY and self.provider() is not Provider.INMAGE_AZURE_V2:
                continue
            try:
                numbers[field] = int(raw)
            except ValueError:
                errors.append(FieldError(field, "enter a whole number of minutes"))
        if errors:
            return None, errors
        spec = PolicySpec(
            name=self.query_one("#f-name", Input).value.strip(),
            provider=self.provider(),
            multi_vm_sync=self.query_one("#f-multi_vm_sync", Checkbox).value,
            **numbers,
        )
        return spec, []

    def revalidate(self) -> list[FieldError]:
        spec, errors = self.spec()
        if spec is not None:
            errors = validate_policy(spec)
        self.show_errors(errors)
        return errors

    def show_errors(self, errors: list[FieldError]) -> None:
        self.errors = errors
        by_field: dict[str, list[str]] = {}
        for error in errors:
            by_field.setdefault(error.field, []).append(error.message)
        for node in self.query(".field-error"):
            field = (node.id or "").removeprefix("err-")
            messages = by_field.pop(field, [])
            if isinstance(node, Static):
                node.update("\n".join(messages))
            input_id = f"#f-{field}"
            if self.query(input_id):
                self.query_one(input_id).set_class(bool(messages), "-invalid")
        if by_field:  # errors for fields the form does not show
            self.query_one("#err-form", Static).update(
                "\n".join(f"{f}: {m}" for f, ms in by_field.items() for m in ms)
            )

    @on(Input.Changed)
    @on(Checkbox.Changed)
    def _changed(self) -> None:
        self.revalidate()

    @on(Select.Changed, "#f-provider")
    def _provider_changed(self) -> None:
        self._show_provider_fields()
        self.revalidate()

    @on(Input.Submitted)
    def _next_field(self) -> None:
        self.focus_next()

    @on(Button.Pressed, "#f-save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#f-close")
    def _close_pressed(self) -> None:
        self.action_close()

    def action_save(self) -> None:
        errors = self.revalidate()
        spec, _ = self.spec()
        if errors or spec is None:
            self.query_one("#err-form", Static).update("Fix the fields marked above; nothing was sent.")
            return
        actions = self.console.actions
        policy = self.policy

        def call() -> Any:
            if policy is None:
                return actions.create_policy(spec)
            return actions.update_policy(policy.id, spec)

        def done(job: Any) -> None:
            if isinstance(job, Job):
                self.sent = True
                self.query_one("#err-form", Static).update("")
                self.query_one(JobProgress).follow([job.id])

        def invalid(exc: InvalidInput) -> None:
            self.show_errors(exc.errors)

        op = Operation.CREATE_POLICY if policy is None else Operation.UPDATE_POLICY
        from asr_console.screens.confirm import confirm_write

        confirm_write(
            self.app,
            f"{op.label} {spec.name}",
            self.plan(spec),
            lambda: self.console.start_action(op.action, call, on_done=done, on_invalid=invalid),
        )

    def plan(self, spec: PolicySpec) -> list[str]:
        """The policy's name and provider, then each setting the form sends."""
        lines = [f"Policy: {spec.name} ({spec.provider.value})"]
        for field, label in NUMBER_FIELDS:
            value = getattr(spec, field)
            if value is not None and not (
                field in CLASSIC_ONLY and spec.provider is not Provider.INMAGE_AZURE_V2
            ):
                lines.append(f"{label}: {value}")
        lines.append(f"Multi-VM consistency: {'on' if spec.multi_vm_sync else 'off'}")
        return lines

    def action_close(self) -> None:
        self.dismiss(None)


# Which on-premises server runs which provider's replication: the appliance the modernized one,
# the configuration server the classic one. ASR refuses any other pairing, so the form never offers it.
_PROVIDER_OF_FABRIC = {
    FabricKind.APPLIANCE: Provider.INMAGE_RCM,
    FabricKind.CONFIGURATION_SERVER: Provider.INMAGE_AZURE_V2,
}


def serves_provider(store: Any, container: ProtectionContainer, provider: Provider) -> bool:
    fabric = store.typed(Fabric, container.fabric_id)
    return fabric is not None and _PROVIDER_OF_FABRIC.get(fabric.kind) is provider


class AssociateScreen(ConsoleAccess, Dialog[None]):
    """Associate a policy with a protection container (a configuration server's or appliance's)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close")]
    DEFAULT_CSS = """
    AssociateScreen > VerticalScroll { width: 80; max-width: 98%; }
    """

    def __init__(self, policy: Policy) -> None:
        super().__init__()
        self.policy = policy

    def compose(self) -> ComposeResult:
        store = self.console.store
        options = [
            (container_name(store, c.id), c.id)
            for c in store.all(ProtectionContainer)
            if not any(same_arm_id(m.policy_id, self.policy.id) for m in mappings_of_container(store, c.id))
            and serves_provider(store, c, self.policy.provider)
        ]
        with VerticalScroll():
            yield Static(f"[b]Associate policy {self.policy.name}[/b]  (enter picks, esc closes)")
            if not options:
                server = (
                    "replication appliance"
                    if self.policy.provider is Provider.INMAGE_RCM
                    else ("configuration server")
                )
                yield Static(f"No {server} container is left without this policy.")
            else:
                yield Select(options, prompt="choose a container", id="a-container")
                yield Button("Associate…", id="a-go")
            yield JobProgress(id="associate-job", job_ids=[])

    @on(Button.Pressed, "#a-go")
    def _go(self) -> None:
        value = self.query_one("#a-container", Select).value
        if value is Select.NULL:
            self.notify("choose a container first", severity="warning")
            return
        app = self.console
        container_id = str(value)

        def done(job: Any) -> None:
            if isinstance(job, Job):
                self.query_one(JobProgress).follow([job.id])

        from asr_console.screens.confirm import confirm_write

        confirm_write(
            self.app,
            f"Associate policy {self.policy.name}",
            [f"Policy: {self.policy.name}", f"Container: {container_name(app.store, container_id)}"],
            lambda: app.start_action(
                Operation.ASSOCIATE_POLICY.action,
                lambda: app.actions.associate_policy(self.policy.id, container_id),
                on_done=done,
            ),
        )

    def action_close(self) -> None:
        self.dismiss(None)


class DissociateScreen(ConsoleAccess, Dialog[None]):
    # a screen's DEFAULT_CSS applies to that screen only, so each dialog sizes its own panel
    DEFAULT_CSS = """
    DissociateScreen > VerticalScroll { width: 80; max-width: 98%; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close")]

    def __init__(self, policy: Policy) -> None:
        super().__init__()
        self.policy = policy

    def compose(self) -> ComposeResult:
        store = self.console.store
        maps: list[ContainerMapping] = mappings_of_policy(store, self.policy.id)
        with VerticalScroll():
            yield Static(f"[b]Dissociate policy {self.policy.name}[/b]")
            if not maps:
                yield Static("This policy is not associated with any container.")
            else:
                yield Select(
                    [(container_name(store, m.container_id), m.id) for m in maps],
                    prompt="choose an association",
                    id="d-mapping",
                )
                yield Static("Items replicating with this policy there must be disabled first.")
                yield Button("Dissociate…", id="d-go", variant="warning")
            yield JobProgress(id="dissociate-job", job_ids=[])

    @on(Button.Pressed, "#d-go")
    def _go(self) -> None:
        value = self.query_one("#d-mapping", Select).value
        if value is Select.NULL:
            self.notify("choose an association first", severity="warning")
            return
        app = self.console
        mapping_id = str(value)

        def done(job: Any) -> None:
            if isinstance(job, Job):
                self.query_one(JobProgress).follow([job.id])

        mapping = app.store.typed(ContainerMapping, mapping_id)
        where = container_name(app.store, mapping.container_id) if mapping else mapping_id
        from asr_console.screens.confirm import confirm_write

        confirm_write(
            self.app,
            f"Dissociate policy {self.policy.name}",
            [f"Policy: {self.policy.name}", f"Container: {where}"],
            lambda: app.start_action(
                Operation.DISSOCIATE_POLICY.action,
                lambda: app.actions.dissociate_policy(mapping_id),
                on_done=done,
            ),
        )

    def action_close(self) -> None:
        self.dismiss(None)


__all__ = ["CRASH_CONSISTENT_MINUTES", "AssociateScreen", "DissociateScreen", "PolicyFormScreen"]
