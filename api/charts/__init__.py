"""Reports drawn as charts: Vega-Lite specifications rendered on the server."""

from api.charts.render import CHART_FORMATS, PNG_SCALE, chart_body
from api.charts.specs import above_average_chart, quarter_chart

__all__ = ["CHART_FORMATS", "PNG_SCALE", "above_average_chart", "chart_body", "quarter_chart"]
