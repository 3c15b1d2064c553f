"""Release notes in Markdown (zh-Hans or English), from what a release ships.

The requirements come first, each with the work items that deliver it; then the other
work items by type (features, fixes, tasks). A pure function of what it is given: the
API and the release page read the content through `selectors.release_notes_content`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from django.utils import translation
from django.utils.translation import gettext as _

from projects.models import WorkItem, WorkItemType
from requirements.models import Requirement

from .models import Release

NOTE_LANGUAGES = ("zh-hans", "en")

# Characters that would turn a title into Markdown (emphasis, links, headings, HTML).
_MARKDOWN = re.compile(r"([\\`*_\[\]<>#|])")


def _text(value: str) -> str:
    """One line of plain text, safe inside Markdown."""
    return _MARKDOWN.sub(r"\\\1", " ".join(str(value).split()))


def _delivered(item: WorkItem) -> int | None:
    link = getattr(item, "requirement_link", None)
    return link.requirement_id if link is not None else None


def _type_sections() -> list[tuple[str, str]]:
    return [
        (WorkItemType.STORY, _("Features")),
        (WorkItemType.BUG, _("Fixes")),
        (WorkItemType.TASK, _("Other changes")),
    ]


def release_notes(
    *,
    release: Release,
    requirements: Sequence[Requirement],
    work_items: Sequence[WorkItem],
    language: str,
) -> str:
    """The notes for `release` in `language` (one of NOTE_LANGUAGES)."""
    if language not in NOTE_LANGUAGES:
        raise ValueError(f"no release notes in {language!r}")
    with translation.override(language):
        title = _("Release %(version)s") % {"version": release.version}
        if release.name:
            title = f"{title}: {release.name}"
        lines = [f"# {_text(title)}", ""]
        if release.released_at is not None:
            when = _("Released on %(date)s.") % {"date": release.released_at.date().isoformat()}
            lines += [when, ""]
        elif release.target_date is not None:
            when = _("Planned for %(date)s.") % {"date": release.target_date.isoformat()}
            lines += [when, ""]
        if release.description.strip():
            lines += [release.description.strip(), ""]

        listed = {requirement.pk for requirement in requirements}
        # Each item under the requirement it delivers (one pass, whatever the sizes).
        delivering: dict[int | None, list[WorkItem]] = {}
        for item in work_items:
            delivering.setdefault(_delivered(item), []).append(item)
        if requirements:
            lines += [f"## {_('Requirements')}", ""]
            for requirement in requirements:
                lines.append(f"- **{requirement.key}** {_text(requirement.title)}")
                lines += [
                    f"  - {item.key} {_text(item.title)}"
                    for item in delivering.get(requirement.pk, [])
                ]
            lines.append("")

        rest = [item for item in work_items if _delivered(item) not in listed]
        for item_type, heading in _type_sections():
            section = [item for item in rest if item.type == item_type]
            if section:
                lines += [f"## {heading}", ""]
                lines += [f"- {item.key} {_text(item.title)}" for item in section]
                lines.append("")

        if not requirements and not work_items:
            lines += [_("Nothing has been added to this release yet."), ""]
        return "\n".join(lines).rstrip() + "\n"
