from django.urls import path

from portal.notifications.views import project_notifications_view

from . import views, views_board, views_sprint

app_name = "projects"

urlpatterns = [
    path("", views.project_list_view, name="list"),
    path("new/", views.project_create_view, name="create"),
    path("<str:key>/", views.project_detail_view, name="detail"),
    path("<str:key>/activity/", views.project_activity_view, name="activity"),
    path("<str:key>/settings/", views.project_settings_view, name="settings"),
    path("<str:key>/settings/archive/", views.project_archive_view, name="archive"),
    path("<str:key>/members/add/", views.member_add_view, name="member_add"),
    path("<str:key>/members/<int:member_id>/role/", views.member_role_view, name="member_role"),
    path(
        "<str:key>/members/<int:member_id>/remove/", views.member_remove_view, name="member_remove"
    ),
    path("<str:key>/board/", views_board.board_view, name="board"),
    path("<str:key>/board/move/", views_board.board_move_view, name="board_move"),
    path("<str:key>/board/add/", views_board.board_quick_add_view, name="board_add"),
    path("<str:key>/board/settings/", views_sprint.board_settings_view, name="board_settings"),
    path("<str:key>/items/<int:number>/", views_board.work_item_panel_view, name="item"),
    path("<str:key>/standup/", views_board.standup_view, name="standup"),
    # The page is portal's; its URL keeps the name (projects:notifications) and the path.
    path("<str:key>/notifications/", project_notifications_view, name="notifications"),
    path("<str:key>/sprints/", views_sprint.sprint_list_view, name="sprints"),
    path(
        "<str:key>/sprints/<int:sprint_id>/", views_sprint.sprint_detail_view, name="sprint_detail"
    ),
    path(
        "<str:key>/sprints/<int:sprint_id>/start/",
        views_sprint.sprint_start_view,
        name="sprint_start",
    ),
    path(
        "<str:key>/sprints/<int:sprint_id>/close/",
        views_sprint.sprint_close_view,
        name="sprint_close",
    ),
    path(
        "<str:key>/sprints/<int:sprint_id>/plan/", views_sprint.sprint_plan_view, name="sprint_plan"
    ),
    path("<str:key>/sprints/<int:sprint_id>/retro/", views_sprint.retro_view, name="retro"),
    path(
        "<str:key>/sprints/<int:sprint_id>/retro/<int:item_id>/to-item/",
        views_sprint.retro_action_to_item_view,
        name="retro_to_item",
    ),
]
