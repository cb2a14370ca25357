-- Every telemetry stream as one table (in AWS the devices stream and the wind-farm seed-format stream). Each
-- source keeps its own watermark; downstream of the UNION ALL the watermark is the minimum over the sources, so
-- a reading is dropped as late only once every stream's watermark has passed its window (never earlier than its
-- own stream alone would drop it). An idle stream does not hold the windows back (source idle-timeout, job.py).
CREATE TEMPORARY VIEW telemetry_raw AS
${source_union};
