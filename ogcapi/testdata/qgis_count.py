"""Opens OGC API – Features collections through QGIS's OAPIF provider (headless) and
prints, per collection, a JSON line: the number of features QGIS reads, its own feature
count, the layer's field names and the values of the given field for every feature.

usage: /usr/bin/python3 qgis_count.py LANDING_URL COLLECTION:FIELD...
"""
import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import QgsApplication, QgsVectorLayer  # noqa: E402


def main():
    url, pairs = sys.argv[1], [a.split(":", 1) for a in sys.argv[2:]]
    app = QgsApplication([], False)
    app.initQgis()
    status = 0
    for coll, field in pairs:
        uri = "url='%s' typename='%s' restrictToRequestBBOX='0' pagingEnabled='true'" % (url, coll)
        layer = QgsVectorLayer(uri, coll, "OAPIF")
        if not layer.isValid():
            print(json.dumps({"collection": coll, "error": layer.error().summary()}), flush=True)
            status = 2
            continue
        names = [f.name() for f in layer.fields()]
        values = [f[field] if field in names else None for f in layer.getFeatures()]
        print(json.dumps({"collection": coll, "read": len(values), "featureCount": layer.featureCount(),
                          "fields": names, "values": values}, ensure_ascii=False, default=str), flush=True)
        del layer
    app.exitQgis()
    return status


if __name__ == "__main__":
    sys.exit(main())
