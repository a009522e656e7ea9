from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from leadops import views
from leadops.accounts.middleware import team_optional

admin.site.site_header = "LeadOps administration"
admin.site.site_title = "LeadOps admin"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("dashboard/running/", views.dashboard_running, name="dashboard_running"),
    path("dashboard/spend/", views.dashboard_spend, name="dashboard_spend"),
    path("dashboard/spend.csv", views.dashboard_spend_csv, name="dashboard_spend_csv"),
    path("dashboard/chart/", views.dashboard_chart, name="dashboard_chart"),
    path("notices/", views.notices, name="notices"),
    path("notices/read/", views.notices_read, name="notices_read"),
    path("notices/badge/", views.notices_badge, name="notices_badge"),
    path("settings/", views.settings_page, name="settings"),
    path("settings/check/", views.settings_check, name="settings_check"),
    path("healthz", team_optional(views.healthz), name="healthz"),
    path(
        "login/",
        team_optional(auth_views.LoginView.as_view(redirect_authenticated_user=True)),
        name="login",
    ),
    path("logout/", team_optional(auth_views.LogoutView.as_view()), name="logout"),
    path(
        "password/",
        team_optional(auth_views.PasswordChangeView.as_view()),
        name="password_change",
    ),
    path(
        "password/done/",
        team_optional(auth_views.PasswordChangeDoneView.as_view()),
        name="password_change_done",
    ),
    path("imports/", include("leadops.imports.urls")),
    path("traces/", include("traces.urls")),
    path("dnc/", include("dnc.urls")),
    path("leads/", include("leadbuilder.urls")),
    path("crm/", include("leadops.crm.urls")),
    path("search/", include("leadops.search.urls")),
    path("webhooks/", include("leadops.webhooks.urls")),
    path("admin/rq/", include("django_rq.urls")),
    path("admin/", admin.site.urls),
]
