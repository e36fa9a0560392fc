package complaint

import "strings"

// regionNames maps the regions known to metrics to their label: China's
// provincial-level divisions (in Chinese and pinyin), US states and
// territories (postal codes), the UK's nations and Australia's states.
// Regions are typed by customers, so anything else is "other": metric
// label sets stay bounded.
var regionNames = func() map[string]string {
	m := map[string]string{}
	cn := [][2]string{
		{"北京", "beijing"}, {"天津", "tianjin"}, {"河北", "hebei"}, {"山西", "shanxi"}, {"内蒙古", "inner-mongolia"},
		{"辽宁", "liaoning"}, {"吉林", "jilin"}, {"黑龙江", "heilongjiang"}, {"上海", "shanghai"}, {"江苏", "jiangsu"},
		{"浙江", "zhejiang"}, {"安徽", "anhui"}, {"福建", "fujian"}, {"江西", "jiangxi"}, {"山东", "shandong"},
		{"河南", "henan"}, {"湖北", "hubei"}, {"湖南", "hunan"}, {"广东", "guangdong"}, {"广西", "guangxi"},
		{"海南", "hainan"}, {"重庆", "chongqing"}, {"四川", "sichuan"}, {"贵州", "guizhou"}, {"云南", "yunnan"},
		{"西藏", "tibet"}, {"陕西", "shaanxi"}, {"甘肃", "gansu"}, {"青海", "qinghai"}, {"宁夏", "ningxia"},
		{"新疆", "xinjiang"}, {"香港", "hong-kong"}, {"澳门", "macao"}, {"台湾", "taiwan"},
	}
	for _, p := range cn {
		m[p[0]] = "cn_" + strings.ReplaceAll(p[1], "-", "_")
		m[p[1]] = "cn_" + strings.ReplaceAll(p[1], "-", "_")
		m[strings.ReplaceAll(p[1], "-", " ")] = "cn_" + strings.ReplaceAll(p[1], "-", "_")
	}
	for _, s := range strings.Fields("AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR GU VI AS MP AE AP AA") {
		m[strings.ToLower(s)] = "us_" + strings.ToLower(s)
	}
	for _, s := range []string{"england", "wales", "scotland", "northern ireland"} {
		m[s] = "gb_" + strings.ReplaceAll(s, " ", "_")
	}
	for _, s := range strings.Fields("NSW VIC QLD WA SA TAS ACT NT") {
		m["au-"+strings.ToLower(s)] = "au_" + strings.ToLower(s)
	}
	return m
}()

// RegionLabel is the bounded metric label of a region as typed: a known
// region's code, "unknown" when empty, else "other".
func RegionLabel(region string) string {
	r := strings.ToLower(strings.TrimSpace(region))
	if r == "" {
		return "unknown"
	}
	for _, suffix := range []string{"省", "市", "自治区", "特别行政区"} {
		r = strings.TrimSuffix(r, suffix)
	}
	if l, ok := regionNames[r]; ok {
		return l
	}
	return "other"
}
