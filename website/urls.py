"""The site's composition: every app's pages and API under one root."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from delivery import api as delivery_api
from delivery import api_freeze as delivery_api_freeze
from metrics import api as metrics_api
from portal import views as portal_views
from portal.api import views as portal_api_views
from portal.notifications import api as api_notifications
from projects import api as projects_api
from projects import api_board
from requirements import api as requirements_api
from risks import api as risks_api

router = DefaultRouter()
router.register("projects", projects_api.ProjectViewSet, basename="project")
router.register("requirements", requirements_api.RequirementViewSet, basename="requirement")
router.register("risks", risks_api.RiskViewSet, basename="risk")
router.register("sprints", api_board.SprintViewSet, basename="sprint")
router.register("work-items", api_board.WorkItemViewSet, basename="work-item")
router.register("retrospectives", api_board.RetrospectiveViewSet, basename="retrospective")
router.register("kpis", metrics_api.KPIViewSet, basename="kpi")
router.register("objectives", metrics_api.ObjectiveViewSet, basename="objective")
router.register("key-results", metrics_api.KeyResultViewSet, basename="key-result")
router.register("channels", api_notifications.ChannelViewSet, basename="channel")
router.register("subscriptions", api_notifications.SubscriptionViewSet, basename="subscription")
router.register("deliveries", api_notifications.DeliveryViewSet, basename="delivery")
router.register("releases", delivery_api.ReleaseViewSet, basename="release")
router.register("freeze-windows", delivery_api_freeze.FreezeWindowViewSet, basename="freeze-window")

api_v1 = [
    *router.urls,
    path("activity/", portal_api_views.ActivityListView.as_view(), name="activity-list"),
]

urlpatterns = [
    path("", include("website.urls_website")),
    path("", include("portal.urls_portal")),
    path("projects/", include("projects.urls")),
    path("projects/<str:key>/risks/", include("risks.urls")),
    path("projects/<str:key>/requirements/", include("requirements.urls")),
    path("projects/<str:key>/releases/", include("delivery.urls")),
    path("releases/", include("delivery.urls_site")),
    path("", include("metrics.urls")),
    path("admin/", admin.site.urls),
    path("healthz", portal_views.healthz, name="healthz"),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's init script as a file: the CSP allows no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

handler400 = "portal.views.error_400"
handler403 = "portal.views.error_403"
handler404 = "portal.views.error_404"
handler500 = "portal.views.error_500"
