from django.urls import path

from traces import views

app_name = "traces"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/<int:batch_id>/", views.new, name="new"),
    path("lookup/", views.lookup, name="lookup"),
    path("queues/", views.queues, name="queues"),
    path("queues/table/", views.queues_table, name="queues_table"),
    path("account/figures/", views.account_figures, name="account_figures"),
    path("account/balance/", views.provider_balance, name="provider_balance"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/progress/", views.progress, name="progress"),
    path("<int:pk>/dnc/", views.dnc_summary, name="dnc_summary"),
    path("<int:pk>/cancel/", views.cancel, name="cancel"),
    path("<int:pk>/retrace/", views.retrace, name="retrace"),
    path("<int:pk>/export.<str:fmt>", views.export, name="export"),
]
