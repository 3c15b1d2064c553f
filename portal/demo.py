"""Demo people. Idempotent: running it again finds the same users."""

from dataclasses import dataclass
from functools import cache

from django.contrib.auth.hashers import make_password

from .models import User

DEMO_PASSWORD = "demo1234"


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    department: str
    role_note: str
    language: str = "zh-hans"
    timezone: str = "Asia/Shanghai"
    staff: bool = False


DEMO_USERS = [
    DemoUser("admin", "管理员 Admin", "tech", "site admin (staff)", staff=True),
    DemoUser("wangfang", "王芳", "product", "PM: owner of MALL and S11"),
    DemoUser("lilei", "李雷", "tech", "developer: member"),
    DemoUser("hanmeimei", "韩梅梅", "tech", "QA: member"),
    DemoUser("zhaoqiang", "赵强", "operations", "operations: member"),
    DemoUser("chenzong", "陈总", "operations", "executive: viewer of every project"),
    DemoUser(
        "emily",
        "Emily Chen",
        "product",
        "PM: owner of PAY (English UI)",
        language="en",
        timezone="Asia/Singapore",
    ),
    DemoUser("zhoujie", "周洁", "legal", "legal: viewer of PAY"),
]


@cache
def _demo_password_hash() -> str:
    return make_password(DEMO_PASSWORD)


def seed_users() -> dict[str, User]:
    users: dict[str, User] = {}
    for spec in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=spec.username,
            defaults={
                "display_name": spec.display_name,
                "department": spec.department,
                "language": spec.language,
                "timezone": spec.timezone,
                "email": f"{spec.username}@demo.example.com",
                "is_staff": spec.staff,
                "is_superuser": spec.staff,
            },
        )
        if created:
            # One hash for every demo login: hashing eight times costs seconds at each seed.
            user.password = _demo_password_hash()
            user.save(update_fields=["password"])
        users[spec.username] = user
    return users
