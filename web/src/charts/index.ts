// ECharts for the cockpit and report pages (not used by the foundation pages yet,
// so it is not in their bundle). Import from here, not from 'echarts' directly:
// only the registered parts are bundled.
//
//   import { VChart, cohortPalette } from '@/charts'
//   <VChart :option="option" autoresize style="height: 320px" />
import { use } from 'echarts/core'
import { CanvasRenderer } from 'echarts/renderers'
import { BarChart, FunnelChart, GaugeChart, HeatmapChart, LineChart, PieChart } from 'echarts/charts'
import {
  DatasetComponent,
  GraphicComponent,
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  TitleComponent,
  TooltipComponent,
  VisualMapComponent,
} from 'echarts/components'
import VChart from 'vue-echarts'

use([
  CanvasRenderer,
  BarChart,
  LineChart,
  PieChart,
  FunnelChart,
  GaugeChart,
  // The cockpits' region map: a tile grid of provinces (no offline geo map).
  HeatmapChart,
  DatasetComponent,
  GraphicComponent,
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  TitleComponent,
  TooltipComponent,
  VisualMapComponent,
])

/** Series colours that match the UI's primary blue. */
export const cohortPalette = ['#2f6bff', '#12b886', '#f59f00', '#7048e8', '#e8590c', '#1098ad', '#d6336c', '#5c7cfa']

export { VChart }
