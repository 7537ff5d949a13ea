import { IsInt, IsNotEmpty, IsString, Min } from 'class-validator';

export class ReserveStockDto {
  @IsString()
  @IsNotEmpty()
  orderId!: string;

  @IsString()
  @IsNotEmpty()
  sku!: string;

  @IsInt()
  @Min(1)
  quantity!: number;
}
