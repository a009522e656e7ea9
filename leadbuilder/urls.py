from django.urls import path

from leadbuilder import views, views_rows

app_name = "leadbuilder"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/rows/", views_rows.rows, name="rows"),
    path("<int:pk>/rows/<int:row_pk>/", views_rows.row_detail, name="row"),
    path("<int:pk>/rows/export/", views_rows.export, name="export"),
    path("<int:pk>/rows/to-dnc/", views_rows.to_dnc, name="to_dnc"),
]
