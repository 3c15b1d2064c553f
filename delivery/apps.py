from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeliveryConfig(AppConfig):
    """Releases with gray stages and guards that halt them, go/no-go, freeze windows
    (DESIGN §8). It stands on the work floor above risks: a release gathers work items and
    requirements, and its go/no-go reads the risks linked to them."""

    name = "delivery"
    verbose_name = _("Delivery")

    def ready(self) -> None:
        from portal.activity import register_verbs
        from portal.events import register_emitted
        from portal.navigation import NavEntry, register_project_tab, register_site
        from projects.extensions import WorkItemExtension, register_work_item_extension
        from requirements.extensions import register_backlog_bulk_action

        from .selectors_pages import with_release_version

        register_site(NavEntry("releases", _("Releases"), "releases_site:portfolio", order=18))
        register_project_tab(NavEntry("releases", _("Releases"), "releases:list", order=45))
        # A card shows the release it ships in; its panel lets owners choose one.
        register_work_item_extension(
            WorkItemExtension(
                "delivery",
                annotate=with_release_version,
                attributes=("release_version", "release_state"),
                panel_template="delivery/partials/_work_item_release_section.html",
                card_template="delivery/partials/_card_release.html",
            )
        )

        # The backlog's selection can be shipped in a release (owners).
        register_backlog_bulk_action("delivery", "delivery/partials/_backlog_release_action.html")
        register_emitted(
            {
                "release.stage_started",
                "release.halted",
                "release.rolled_back",
                "release.released",
                "freeze.starting",
            }
        )
        register_verbs(
            {
                "release.created": _("%(actor)s planned release %(target)s"),
                "release.updated": _("%(actor)s changed release %(target)s"),
                "release.plan_changed": _("%(actor)s changed the rollout plan of %(target)s"),
                "release.scope_changed": _("%(actor)s changed what %(target)s ships"),
                "release.checked": _("%(actor)s updated the go/no-go checklist of %(target)s"),
                "release.risks_accepted": _(
                    "%(actor)s accepted the open risks of %(target)s: %(after_reason)s"
                ),
                "release.stage_started": _(
                    "%(actor)s started the %(after_percent)s%% stage of %(target)s"
                ),
                "release.stage_passed": _(
                    "%(actor)s passed the %(after_percent)s%% stage of %(target)s"
                ),
                "release.released": _("%(actor)s released %(target)s to everyone"),
                "release.halted": _("%(target)s halted: %(after_reason)s"),
                "release.rolled_back": _("%(actor)s rolled back %(target)s: %(after_reason)s"),
                "release.cancelled": _("%(actor)s cancelled release %(target)s"),
                "release.deleted": _("%(actor)s deleted release %(target)s"),
                "freeze.created": _("%(actor)s set the freeze window %(target)s"),
                "freeze.updated": _("%(actor)s changed the freeze window %(target)s"),
                "freeze.deleted": _("%(actor)s removed the freeze window %(target)s"),
            }
        )
