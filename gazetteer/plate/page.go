package plate

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"strings"
)

// The public page of a plate: mobile-first, inline CSS, no script and nothing fetched
// (it works offline once loaded), zh-CN first with the pinyin, no personal data.
var pageTmpl = template.Must(template.New("plate").Funcs(template.FuncMap{
	"distance": func(m float64) string {
		if m < 1000 {
			return fmt.Sprintf("%.0f 米", m)
		}
		return fmt.Sprintf("%.1f 公里", m/1000)
	},
	"statusName": func(s string) string { return statusNames[s] },
}).Parse(`<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>{{if .Plate}}{{.Plate.Address.Text}} · 数字门牌{{else}}{{.Title}}{{end}}</title>
<style>
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 "Droid Sans Fallback","WenQuanYi Zen Hei","Noto Sans CJK SC",sans-serif;color:#1a1a1a;background:#eef2f7}
main{max-width:34rem;margin:0 auto;padding:1rem}
.plate{background:#00489e;color:#fff;border-radius:.6rem;padding:1.1rem 1rem;text-align:center;box-shadow:0 2px 6px rgba(0,0,0,.2)}
.plate .road{font-size:1.6rem;font-weight:bold}
.plate .py{font-size:.85rem;opacity:.9}
.plate .num{font-size:3rem;font-weight:bold;line-height:1.2}
section{background:#fff;border-radius:.5rem;margin-top:1rem;padding:.8rem 1rem}
h2{font-size:1rem;margin:0 0 .4rem;color:#00489e}
ol.chain{list-style:none;margin:0;padding:0}
ol.chain li{padding:.15rem 0}
ol.chain li+li:before{content:"› ";color:#888}
.muted{color:#666;font-size:.85rem}
table{width:100%;border-collapse:collapse}
td{padding:.35rem 0;border-top:1px solid #eee;vertical-align:top}
td.d{text-align:right;white-space:nowrap;padding-left:.5rem}
.status{display:inline-block;padding:.05rem .5rem;border-radius:1rem;background:#e3ecf8;color:#00489e;font-size:.9rem}
.error h1{font-size:1.4rem;color:#a00}
footer{margin:1rem 0;text-align:center}
</style>
</head>
<body>
<main>
{{with .Plate}}
<div class="plate" id="address">
<div class="road">{{.Address.Road}}</div>
<div class="py">{{.Address.RoadPinyin}}</div>
<div class="num">{{.Address.NumberText}}</div>
<div class="py">{{.Address.NumberPinyin}}</div>
{{if .Address.Building}}<div>{{.Address.Building}}</div>{{end}}
</div>
<section>
<h2>标准地址 Standard address</h2>
<p id="full-address" lang="zh-CN">{{range .Address.Divisions}}{{.Name}}{{end}}{{.Address.Text}}</p>
<p class="muted" lang="zh-Latn-pinyin">{{$.AddressPinyin}}</p>
</section>
{{if .Address.Divisions}}<section>
<h2>行政区划 Divisions</h2>
<ol class="chain">{{range .Address.Divisions}}<li>{{.Name}} <span class="muted">{{.Pinyin}} · {{.Code}}</span></li>{{end}}</ol>
</section>{{end}}
<section>
<h2>门牌状态 Plate</h2>
<p><span class="status" id="plate-status">{{statusName .Status}}</span> <span class="muted">{{.Status}} · 编号 {{.ID}}</span></p>
{{if .InstalledOn}}<p class="muted">安装日期 installed {{.InstalledOn}}</p>{{end}}
</section>
{{end}}
{{if .Plate}}<section>
<h2>最近的服务设施 Nearest services</h2>
{{if .Facilities}}<table id="facilities">{{range .Facilities}}
<tr><td>{{.KindName}}<br><span class="muted">{{.Name}}</span></td><td class="d">{{distance .DistanceM}}</td></tr>{{end}}
</table>{{else}}<p class="muted">暂无在运营的服务设施 No operating facility recorded.</p>{{end}}
</section>{{end}}
{{if not .Plate}}<section class="error">
<h1>{{.Title}}</h1>
<p>{{.Message}}</p>
<p class="muted">{{.MessageEn}}</p>
</section>{{end}}
<footer class="muted">方圆 Fangyuan · 地名办 数字门牌</footer>
</main>
</body>
</html>
`))

var statusNames = map[string]string{"ordered": "已订制", "installed": "已安装", "damaged": "已损坏", "removed": "已拆除"}

type pageData struct {
	Plate                     *Plate
	AddressPinyin             string
	Facilities                []Facility
	Title, Message, MessageEn string
}

func writePage(w http.ResponseWriter, status int, d pageData) error {
	var b bytes.Buffer
	if err := pageTmpl.Execute(&b, d); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(status)
	_, err := w.Write(b.Bytes())
	return err
}

// addressPinyin is the romanised address, smallest part first (GB 17733 order on signs:
// number, road, then the divisions).
func addressPinyin(a Address) string {
	parts := []string{a.NumberPinyin(), a.RoadPinyin}
	for i := len(a.Divisions) - 1; i >= 0; i-- {
		if a.Divisions[i].Pinyin != "" {
			parts = append(parts, a.Divisions[i].Pinyin)
		}
	}
	return strings.Join(parts, ", ")
}
