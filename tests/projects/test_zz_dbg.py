from tests.projects.test_board_api import *
def test_dbg(owner):
    project = make_project(owner=owner, key="CLOSE0")
    sprint = start_sprint(make_sprint(project, owner, DAY0), owner)
    bulk_items(project, 3, sprint=sprint, assignees=[owner])
    c = token_client(owner)
    with CaptureQueriesContext(connection) as ctx:
        r = c.post(f"{SPRINTS}{sprint.pk}/close/", {}, format="json")
    for q in ctx.captured_queries: print(q["sql"][:150])
    assert 0
