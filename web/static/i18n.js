// 界面文字：中文优先，English on the toggle.
window.I18N = {
  zh: {
    title: '覆盖分析', boundaryPage: '界线联检', officePage: '门牌管理', search: '搜索乡镇、村、地名', kind: '设施类型', run: '分析批次', startRun: '发起新分析',
    legend: '图例', share: '覆盖率', flaggedTownship: '未达标乡镇', operating: '运营中', planned: '规划中', closed: '已关闭',
    cells: '人口栅格（放大后）', downloads: '下载', gaps: '缺口乡镇排名', township: '乡镇', uncovered: '未覆盖人口', flags: '问题',
    population: '人口', covered: '已覆盖人口', facilities: '设施数', target: '目标', flagged: '未达标', townships: '乡镇数',
    noRuns: '该类型还没有分析结果', noGaps: '没有未达标的乡镇', loading: '加载中…', runDone: '完成', runRunning: '计算中',
    runFailed: '失败', runQueued: '排队中', tokenPrompt: '需要令牌（发起分析需规划员令牌：fangyuan token create --role planner）：',
    started: '已发起分析', failed: '出错：', code: '代码', rank: '排名', status: '状态', beds: '床位', kindName: '类型',
    radius: '服务半径', asOf: '数据日期', details: '乡镇详情', noSearch: '无匹配结果', layer: '人群',
    flag: { NO_FACILITY: '无设施', BELOW_TARGET: '覆盖率低于目标', CAPACITY_SHORTFALL: '床位不足', COUNTY_NO_FACILITY: '县级无设施', VILLAGE_GAPS: '村级缺口', NOT_SERVED: '未覆盖' },
    st: { operating: '运营中', planned: '规划中', closed: '已关闭' },
  },
  en: {
    title: 'Coverage', boundaryPage: 'Boundary inspection', officePage: 'House numbers', search: 'Search townships, villages, places', kind: 'Facility kind', run: 'Run', startRun: 'Start a new run',
    legend: 'Legend', share: 'Covered share', flaggedTownship: 'Township below standard', operating: 'Operating', planned: 'Planned', closed: 'Closed',
    cells: 'Population cells (zoomed in)', downloads: 'Downloads', gaps: 'Township gaps, ranked', township: 'Township', uncovered: 'Uncovered', flags: 'Flags',
    population: 'Population', covered: 'Covered', facilities: 'Facilities', target: 'Target', flagged: 'Flagged', townships: 'Townships',
    noRuns: 'No coverage run for this kind yet', noGaps: 'No township is flagged', loading: 'Loading…', runDone: 'done', runRunning: 'running',
    runFailed: 'failed', runQueued: 'queued', tokenPrompt: 'A token is needed (a planner token to start runs: fangyuan token create --role planner):',
    started: 'Run started', failed: 'Error: ', code: 'Code', rank: 'Rank', status: 'Status', beds: 'Beds', kindName: 'Kind',
    radius: 'Catchment', asOf: 'As of', details: 'Township details', noSearch: 'No match', layer: 'Population',
    flag: { NO_FACILITY: 'No facility', BELOW_TARGET: 'Below target', CAPACITY_SHORTFALL: 'Capacity shortfall', COUNTY_NO_FACILITY: 'County lacks one', VILLAGE_GAPS: 'Village gaps', NOT_SERVED: 'Not served' },
    st: { operating: 'Operating', planned: 'Planned', closed: 'Closed' },
  },
};
