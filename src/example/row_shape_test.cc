#include "example/row_shape.h"

#include "gtest/gtest.h"

namespace proberows {
namespace {

const std::vector<ColumnSpec> kSchema = {
    {"k", FeatureType::kInt64, 0, ColumnRole::kKey},
    {"s", FeatureType::kBytes, 0, ColumnRole::kStatic},
    {"v", FeatureType::kFloat, 0, ColumnRole::kPerMeasurement},
    {"l", FeatureType::kInt64, 2, ColumnRole::kPerMeasurement},
};

DecodedExample GoodRow() {
  DecodedExample row;
  row["k"] = std::vector<int64_t>{1};
  row["s"] = std::vector<std::string>{"x"};
  row["v"] = std::vector<float>{1.5f, 2.5f};
  row["l/ragged_flat_values"] = std::vector<int64_t>{1, 2, 3};
  row["l/ragged_row_lengths_0"] = std::vector<int64_t>{2, 1};
  row["l/ragged_row_lengths_1"] = std::vector<int64_t>{1, 0, 2};
  return row;
}

TEST(RowShapeTest, AcceptsTheShapeTheEncoderWrites) { EXPECT_TRUE(CheckRowShape(GoodRow(), kSchema, 2).ok()); }

TEST(RowShapeTest, NamesWhatIsWrong) {
  DecodedExample row = GoodRow();
  row.erase("s");
  EXPECT_EQ(CheckRowShape(row, kSchema, 2), absl::DataLossError("feature 's' is missing"));
  row = GoodRow();
  EXPECT_EQ(CheckRowShape(row, kSchema, 3), absl::DataLossError("feature 'v' has 2 values, expected 3"));
  row["l/ragged_row_lengths_1"] = std::vector<int64_t>{1, 0, 1};
  EXPECT_EQ(CheckRowShape(row, kSchema, 2),
            absl::DataLossError("feature 'l/ragged_flat_values' has 3 values, but its row lengths add up to 2"));
  row["l/ragged_row_lengths_1"] = std::vector<int64_t>{1, -1, 3};
  EXPECT_EQ(CheckRowShape(row, kSchema, 2),
            absl::DataLossError("feature 'l/ragged_row_lengths_1' has a negative row length -1"));
  row = GoodRow();
  row["l/ragged_row_lengths_0"] = std::vector<int64_t>{3};
  EXPECT_EQ(CheckRowShape(row, kSchema, 2),
            absl::DataLossError("feature 'l/ragged_row_lengths_0' has 1 row lengths, expected 2"));
  row = GoodRow();
  row["l/ragged_row_lengths_1"] = std::vector<float>{1};
  EXPECT_EQ(CheckRowShape(row, kSchema, 2), absl::DataLossError("feature 'l/ragged_row_lengths_1' is not int64"));
}

}  // namespace
}  // namespace proberows
